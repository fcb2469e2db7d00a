/**
 * A job the scheduler runs: on a schedule, on demand (`POST /admin/jobs/{name}/run/`), or both. Jobs change state
 * only by issuing commands or writing job-owned tables, never read models behind the projector, and are idempotent:
 * a retried or repeated run never notifies twice nor issues a command twice.
 */
import type { Logger } from 'pino';

export interface JobRun {
  /** Unique per run: the correlation id of the commands the run issues. */
  runId: string;
  /** The scheduler's clock (injectable: tests move time without waiting). */
  now: Date;
  logger: Logger;
}

export interface JobDefinition {
  /** Stable, kebab-case: `cleanup`, `overdue-reminders`, `email-digests`, `member-removals`. */
  name: string;
  description: string;
  /** When it runs by itself: a cron expression (UTC) or an interval such as `30 seconds`; absent: only on demand. */
  schedule?: { cron: string } | { every: string };
  /**
   * How long a run may hold the job's lock before another scheduler may take the job over (default: the
   * scheduler's, 5 minutes). Short for frequent jobs whose work is leased in their own tables, so a scheduler
   * killed mid-run delays them by seconds, not minutes.
   */
  lockLifetimeMs?: number;
  run(run: JobRun): Promise<void>;
}

/** What the API shows and does about jobs (the admin endpoints); the scheduler part implements it. */
export interface JobAdmin {
  list(): Promise<JobStatus[]>;
  /** Queues a run now; false for an unknown job name. */
  runNow(name: string): Promise<boolean>;
}

export interface JobStatus {
  name: string;
  description: string;
  schedule: string | null;
  lastRunAt: string | null;
  lastFinishedAt: string | null;
  nextRunAt: string | null;
  failures: number;
  lastFailure: string | null;
  running: boolean;
}

/** The clock jobs and reactions read: the system's, or a test's. */
export type Clock = () => Date;
