/**
 * The scheduler: Agenda running the jobs' definitions. Every process that has one can list jobs and queue runs
 * (the admin endpoints); the ones that `start` it also run jobs. Several may run at once on one store: Agenda
 * locks a job's record before running it, so each due run happens once, on one of them.
 *
 * - A job with a schedule gets one Agenda record (`single`) that Agenda moves from run to run: a cron
 *   expression in UTC, or an interval. A scheduler that starts leaves an unchanged schedule as it is, so a
 *   run that fell due while no scheduler was running still happens once when one comes back.
 * - A run asked for by an admin is a record of its own, due at once; asking again while it waits to start
 *   joins it. Only the latest finished one is kept.
 * - A failed run is logged, counted, and retried with exponential backoff (retry.ts); then the job waits for
 *   its next scheduled run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agenda, type AgendaBackend, type Job, type JobParameters } from 'agenda';
import type { Logger } from 'pino';
import { uuidv7 } from '../../commands/ids';
import type { Clock, JobAdmin, JobDefinition } from '../job';
import type { JobStore } from './backend';
import { DEFAULT_RETRY, type RetryPolicy, retryStrategy } from './retry';
import { isManualRun, isRunning, jobStatus, MANUAL_RUN } from './status';

export interface SchedulerOptions {
  store: JobStore;
  logger: Logger;
  /** Told of every finished run: the job, whether it failed, how long it took (metrics). */
  observe?: (job: string, outcome: 'ok' | 'failed', seconds: number) => void;
  /**
   * `JobRun.now`: the system clock unless a test gives one. Agenda itself reads the system clock for when runs
   * are due (it has no clock to inject); tests run jobs on demand and move this clock instead.
   */
  clock?: Clock;
  /** How often a running scheduler looks for due runs (default 5 s). On PostgreSQL a NOTIFY also wakes it. */
  processEveryMs?: number;
  retry?: RetryPolicy;
  /**
   * How long a run may hold its job's lock (default 5 minutes). A scheduler that dies mid-run leaves the lock
   * behind; another takes the job over once it is this old.
   */
  lockLifetimeMs?: number;
  /** This scheduler's name in Agenda's records (`lastModifiedBy`). */
  name?: string;
  /** How long an admin call waits for the store before answering that it is unavailable (default 3 s). */
  storeWaitMs?: number;
}

export interface Scheduler {
  /** What the admin endpoints use: works whether or not this process runs jobs. */
  admin: JobAdmin;
  /** Adds the jobs (before `start`); throws on a name used twice or a schedule Agenda cannot read. */
  define(jobs: readonly JobDefinition[]): void;
  /** Waits for the store, writes the schedules, and runs jobs from then on. */
  start(): Promise<void>;
  /** Takes no more runs; runs under way go on. Shutdown's `stop-accepting`. */
  stopAccepting(): Promise<void>;
  /** Waits, at most `timeoutMs`, for the runs under way; true when none is left. Shutdown's `drain`. */
  drain(timeoutMs: number): Promise<boolean>;
  /** `/readyz`: the store answers. */
  ping(): Promise<void>;
  /** Closes the store's connection (after `stopAccepting` and `drain`). Shutdown's `close-pools`. */
  close(): Promise<void>;
  /** Names of the defined jobs, in definition order. */
  jobNames(): string[];
}

/** The store did not answer in time: the admin endpoints answer 503. */
export class JobStoreUnavailableError extends Error {
  override readonly name = 'JobStoreUnavailableError';
}

const JOB_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const UTC = 'UTC';

const intervalOf = (schedule: NonNullable<JobDefinition['schedule']>): string =>
  'cron' in schedule ? schedule.cron : schedule.every;

/**
 * Agenda's backend, connecting until it succeeds: Agenda connects once, in its constructor, and a failure there
 * would leave it waiting for ever. Never rejects; stops trying once `closed` aborts.
 */
const connectingUntilUp = (
  inner: AgendaBackend,
  closed: AbortSignal,
  onFailure: (error: unknown, attempt: number) => void,
): AgendaBackend => ({
  name: inner.name,
  repository: inner.repository,
  notificationChannel: inner.notificationChannel,
  logger: inner.logger,
  ownsConnection: false,
  async connect() {
    for (let attempt = 1; ; attempt++) {
      if (closed.aborted) return new Promise<void>(() => undefined);
      try {
        await inner.connect();
        return;
      } catch (error) {
        onFailure(error, attempt);
        await sleep(Math.min(500 * 2 ** attempt, 30_000), undefined, { signal: closed }).catch(
          () => undefined,
        );
      }
    }
  },
  disconnect: () => inner.disconnect(),
});

/**
 * Stops Agenda's LISTEN channel for good. After a lost connection it retries on a timer, and each try starts its
 * count of attempts again (agenda 6): a try still under way when the scheduler closes (its database gone, its pool
 * ended) would fail and schedule the next every 100 ms for ever, holding the process open. Reconnecting is turned off
 * first, so such a try schedules nothing, then the channel is disconnected (which clears a pending timer).
 */
const silence = async (channel: AgendaBackend['notificationChannel']): Promise<void> => {
  if (!channel) return;
  const { config } = channel as { config?: { reconnect?: { enabled: boolean } } };
  if (config?.reconnect) config.reconnect.enabled = false;
  await channel.disconnect().catch(() => undefined);
};

/** Checks a schedule as Agenda will read it, without a store: a job that cannot be scheduled stops the start. */
const checkSchedule = (agenda: Agenda, definition: JobDefinition): void => {
  if (!definition.schedule) return;
  const interval = intervalOf(definition.schedule);
  const probe = agenda.create(definition.name).repeatEvery(interval, { timezone: UTC });
  if (!probe.attrs.nextRunAt || probe.attrs.failReason) {
    throw new Error(
      `job ${definition.name}: cannot read its schedule "${interval}" (a cron expression or an interval such as "30 seconds")${
        probe.attrs.failReason ? `: ${probe.attrs.failReason}` : ''
      }`,
    );
  }
};

export const createScheduler = (options: SchedulerOptions): Scheduler => {
  const { store, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const storeWaitMs = options.storeWaitMs ?? 3000;
  const closing = new AbortController();
  let connected = false;
  const agenda = new Agenda({
    backend: connectingUntilUp(store.backend, closing.signal, (error, attempt) =>
      logger.warn({ err: error, attempt, store: store.kind }, 'job store unreachable; trying again'),
    ),
    name: options.name,
    processEvery: options.processEveryMs ?? 5000,
    defaultLockLifetime: options.lockLifetimeMs ?? 5 * 60_000,
    defaultConcurrency: 1,
  });
  void agenda.ready.then(() => {
    connected = true;
  });
  const definitions = new Map<string, JobDefinition>();
  /** Runs under way here, by Agenda record id: resolved once Agenda has saved their outcome. */
  const running = new Map<string, () => void>();
  const settled = new Map<string, Promise<void>>();
  let started: Promise<void> | undefined;
  let processing = false;
  /** False once the shutdown began: a start still under way then does not begin taking runs. */
  let accepting = true;

  // Events with `remote` set come from other schedulers (PostgreSQL's NOTIFY): not ours to count or log.
  agenda.on('error', (error: Error) => logger.warn({ err: error }, 'job scheduler error'));
  // Unheard, a lost LISTEN connection (a database restart) would be an unhandled 'error' that ends the process.
  store.backend.notificationChannel?.on('error', (error: Error) =>
    logger.warn({ err: error }, 'job notifications (LISTEN) interrupted; polling until they reconnect'),
  );
  agenda.on('start', (job: Job, remote?: boolean) => {
    if (remote === true) return;
    const id = String(job.attrs._id);
    settled.set(id, new Promise<void>((resolve) => running.set(id, resolve)));
  });
  agenda.on('complete', (job: Job, remote?: boolean) => {
    if (remote === true) return;
    const id = String(job.attrs._id);
    running.get(id)?.();
    running.delete(id);
    settled.delete(id);
  });
  agenda.on('retry', (job: Job, details: { attempt: number; nextRunAt: Date }, remote?: boolean) => {
    if (remote === true) return;
    logger.warn(
      { job: job.attrs.name, failures: details.attempt, retryAt: details.nextRunAt.toISOString() },
      'job run failed; retrying',
    );
  });
  agenda.on('retry exhausted', (error: Error, job: Job) => {
    logger.error(
      { job: job.attrs.name, failures: job.attrs.failCount, err: error },
      'job run failed after its retries; next try at its next scheduled run',
    );
  });

  /** Waits (bounded) for the store's first connection; an admin call then fails fast instead of hanging. */
  const whenConnected = async (): Promise<void> => {
    if (connected) return;
    const wait = new AbortController();
    const timeout = sleep(storeWaitMs, 'timeout' as const, { signal: wait.signal }).catch(
      () => 'done' as const,
    );
    const outcome = await Promise.race([agenda.ready.then(() => 'ready' as const), timeout]);
    wait.abort();
    if (outcome !== 'ready')
      throw new JobStoreUnavailableError(`the job store (${store.kind}) is not reachable`);
  };

  /** An admin call on the store: any failure of the store is "unavailable" to the caller. */
  const onStore = async <T>(work: () => Promise<T>): Promise<T> => {
    await whenConnected();
    try {
      return await work();
    } catch (error) {
      throw new JobStoreUnavailableError(
        `the job store (${store.kind}) failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  };

  const processor = (definition: JobDefinition) => async (job: Job) => {
    const runId = uuidv7();
    const trigger = isManualRun(job.attrs) ? 'manual' : 'schedule';
    const runLogger = logger.child({ job: definition.name, runId, trigger });
    const began = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - began) / 1e9;
    try {
      await definition.run({ runId, now: clock(), logger: runLogger });
      options.observe?.(definition.name, 'ok', seconds());
      runLogger.debug({ ms: Math.round(seconds() * 1000) }, 'job run finished');
    } catch (error) {
      options.observe?.(definition.name, 'failed', seconds());
      runLogger.error(
        { err: error, attempt: (job.attrs.failCount ?? 0) + 1, ms: Math.round(seconds() * 1000) },
        'job run failed',
      );
      throw error;
    }
  };

  /** Writes each schedule that is new or changed; removes the schedule of a job that no longer has one. */
  const writeSchedules = async (): Promise<void> => {
    const names = [...definitions.keys()];
    if (names.length === 0) return;
    const { jobs } = await agenda.queryJobs({ names });
    for (const definition of definitions.values()) {
      const scheduled = jobs.filter((record) => record.name === definition.name && record.type === 'single');
      if (!definition.schedule) {
        if (scheduled.length > 0) await agenda.cancel({ ids: scheduled.map((record) => String(record._id)) });
        continue;
      }
      const interval = intervalOf(definition.schedule);
      const current = scheduled.find(
        (record) =>
          String(record.repeatInterval) === interval && record.repeatTimezone === UTC && !record.disabled,
      );
      if (current?.nextRunAt) continue;
      await agenda.every(interval, definition.name, undefined, { timezone: UTC });
      logger.info({ job: definition.name, schedule: interval }, 'job scheduled');
    }
  };

  const stopAccepting = async (): Promise<void> => {
    accepting = false;
    if (!processing) return;
    processing = false;
    // Unlocks the runs it had taken but not begun; runs under way keep their locks until they end.
    await agenda.stop(false);
  };

  const admin: JobAdmin = {
    async list() {
      const names = [...definitions.keys()];
      if (names.length === 0) return [];
      const { jobs } = await onStore(() => agenda.queryJobs({ names }));
      return [...definitions.values()].map((definition) =>
        jobStatus(
          definition,
          jobs.filter((record) => record.name === definition.name),
        ),
      );
    },
    async runNow(name) {
      if (!definitions.has(name)) return false;
      await onStore(async () => {
        const { jobs } = await agenda.queryJobs({ name });
        const requested = jobs.filter(isManualRun);
        const dueBy = Date.now() + 1000;
        const waiting = requested.find(
          (record) => record.nextRunAt && new Date(record.nextRunAt).getTime() <= dueBy && !isRunning(record),
        );
        if (waiting) return; // a requested run that has not started yet: this request joins it
        const finished = requested
          .filter((record) => !record.nextRunAt && !record.lockedAt)
          .sort((a, b) => lastActivity(b) - lastActivity(a));
        const stale = finished.slice(1).map((record) => String(record._id));
        if (stale.length > 0) await agenda.cancel({ ids: stale });
        await agenda.now(name, { ...MANUAL_RUN, requestedAt: new Date().toISOString() });
      });
      return true;
    },
  };

  return {
    admin,
    define(jobs) {
      if (started) throw new Error('define the jobs before starting the scheduler');
      for (const definition of jobs) {
        if (!JOB_NAME.test(definition.name))
          throw new Error(`job name "${definition.name}" is not kebab-case (e.g. "overdue-reminders")`);
        if (definitions.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
        checkSchedule(agenda, definition);
        definitions.set(definition.name, definition);
        agenda.define(definition.name, processor(definition), {
          concurrency: 1,
          lockLimit: 1,
          ...(definition.lockLifetimeMs ? { lockLifetime: definition.lockLifetimeMs } : {}),
          backoff: retryStrategy(options.retry ?? DEFAULT_RETRY),
        });
      }
    },
    start() {
      started ??= (async () => {
        await agenda.ready;
        if (!accepting) return;
        await writeSchedules();
        if (!accepting) return;
        await agenda.start();
        processing = true;
        if (!accepting) {
          await stopAccepting();
          return;
        }
        logger.info({ store: store.kind, jobs: [...definitions.keys()] }, 'job scheduler running');
      })();
      return started;
    },
    stopAccepting,
    async drain(timeoutMs) {
      const under = [...settled.values()];
      if (under.length === 0) return true;
      const wait = new AbortController();
      const timeout = sleep(timeoutMs, false, { signal: wait.signal }).catch(() => true);
      const done = await Promise.race([Promise.all(under).then(() => true), timeout]);
      wait.abort();
      if (!done)
        logger.warn({ runs: settled.size }, 'job runs still under way at shutdown; their locks expire');
      return done;
    },
    async ping() {
      if (!connected) throw new Error(`the job store (${store.kind}) is not connected yet`);
      await store.ping();
    },
    async close() {
      closing.abort();
      accepting = false;
      await stopAccepting();
      await silence(store.backend.notificationChannel);
      await store.close();
    },
    jobNames: () => [...definitions.keys()],
  };
};

const lastActivity = (record: JobParameters): number =>
  Math.max(
    ...[record.lastFinishedAt, record.failedAt, record.lastRunAt].map((d) => (d ? new Date(d).getTime() : 0)),
  );
