/**
 * A job's status as the admin endpoints show it, read from Agenda's records of that job: the scheduled one (a
 * `single` record that Agenda moves from run to run) and those of runs an admin asked for (`normal` records, one
 * per request).
 */
import type { JobParameters } from 'agenda';
import type { JobDefinition, JobStatus } from '../job';

/** What a run an admin asked for carries in its Agenda record. */
export const MANUAL_RUN = { trigger: 'manual' } as const;

export const isManualRun = (record: Pick<JobParameters, 'type' | 'data'>): boolean =>
  record.type === 'normal' && (record.data as { trigger?: unknown } | null)?.trigger === MANUAL_RUN.trigger;

export const scheduleText = (schedule: JobDefinition['schedule']): string | null => {
  if (!schedule) return null;
  return 'cron' in schedule ? `cron ${schedule.cron} (UTC)` : `every ${schedule.every}`;
};

const time = (value: Date | string | null | undefined): number | null =>
  value === null || value === undefined ? null : new Date(value).getTime();

const latest = (values: (number | null)[]): number | null =>
  values.reduce<number | null>((max, v) => (v !== null && (max === null || v > max) ? v : max), null);

const earliest = (values: (number | null)[]): number | null =>
  values.reduce<number | null>((min, v) => (v !== null && (min === null || v < min) ? v : min), null);

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Started and not yet finished nor failed: Agenda holds its lock and the start is its latest mark. */
export const isRunning = (record: JobParameters): boolean => {
  const started = time(record.lastRunAt);
  if (!record.lockedAt || started === null) return false;
  const ended = latest([time(record.lastFinishedAt), time(record.failedAt)]);
  return ended === null || started > ended;
};

/**
 * - last run, last finish: the latest over its records;
 * - next run: the earliest due run (its schedule, a retry, or a requested run not yet started);
 * - failures: the failed attempts of its latest run since it last succeeded (0 once a run succeeds);
 * - last failure: the message of its most recent failure, kept after it recovers.
 */
export const jobStatus = (definition: JobDefinition, records: readonly JobParameters[]): JobStatus => {
  const mostRecent = [...records].sort((a, b) => (time(b.lastRunAt) ?? -1) - (time(a.lastRunAt) ?? -1))[0];
  const lastFailed = [...records]
    .filter((r) => r.failedAt)
    .sort((a, b) => (time(b.failedAt) ?? 0) - (time(a.failedAt) ?? 0))[0];
  return {
    name: definition.name,
    description: definition.description,
    schedule: scheduleText(definition.schedule),
    lastRunAt: iso(latest(records.map((r) => time(r.lastRunAt)))),
    lastFinishedAt: iso(latest(records.map((r) => time(r.lastFinishedAt)))),
    nextRunAt: iso(earliest(records.filter((r) => !r.disabled).map((r) => time(r.nextRunAt)))),
    failures: mostRecent?.failCount ?? 0,
    lastFailure: lastFailed?.failReason ?? null,
    running: records.some(isRunning),
  };
};
