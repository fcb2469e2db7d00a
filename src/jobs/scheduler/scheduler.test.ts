/**
 * The scheduler on Agenda's PostgreSQL backend, against a real database: schedules, runs on demand, retries with
 * backoff, several schedulers on one store, the admin's view, and a clean stop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { createMigratedDatabase, type MigratedDatabase } from '../../../test/support/database';
import type { JobDefinition, JobRun } from '../job';
import { createJobStore } from './backend';
import {
  createScheduler,
  JobStoreUnavailableError,
  type Scheduler,
  type SchedulerOptions,
} from './scheduler';

jest.setTimeout(30_000);

const FAST_RETRY = { delayMs: 50, factor: 2, maxDelayMs: 1000, maxRetries: 3, jitter: 0 };

const eventually = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
};

/** A job that records its runs; `behave` decides each run's outcome (default: succeed at once). */
const recorded = (
  name: string,
  extra: Partial<JobDefinition> = {},
  behave: (run: JobRun, n: number) => Promise<void> = async () => undefined,
) => {
  const runs: JobRun[] = [];
  const definition: JobDefinition = {
    name,
    description: `the ${name} job`,
    ...extra,
    async run(run) {
      runs.push(run);
      await behave(run, runs.length);
    },
  };
  return { definition, runs };
};

describe('the job scheduler (Agenda on PostgreSQL)', () => {
  let db: MigratedDatabase;
  const open: Scheduler[] = [];
  const logLines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line)) });

  const scheduler = (options: Partial<SchedulerOptions> = {}): Scheduler => {
    const made = createScheduler({
      store: createJobStore({ kind: 'postgresql', connectionString: db.database.url }),
      logger,
      processEveryMs: 100,
      retry: FAST_RETRY,
      // Agenda checks a run's lock every half lifetime with a timer it never clears: short, so jest can exit.
      lockLifetimeMs: 2000,
      ...options,
    });
    open.push(made);
    return made;
  };
  const records = async (name: string) =>
    db.knex('agenda_jobs').where({ name }).orderBy('created_at') as Promise<Record<string, unknown>[]>;

  beforeAll(async () => {
    db = await createMigratedDatabase('tt_scheduler');
  });
  afterEach(async () => {
    for (const made of open.splice(0)) {
      await made.stopAccepting();
      await made.drain(5000);
      await made.close();
    }
    await db.knex('agenda_jobs').delete();
    logLines.length = 0;
  });
  afterAll(() => db.close());

  it('runs a job on its interval, by itself', async () => {
    const ticking = recorded('ticking', { schedule: { every: '1 second' } });
    const running = scheduler();
    running.define([ticking.definition]);
    await running.start();
    // An interval's first run is due when it is first scheduled, the next one an interval later.
    await eventually(() => ticking.runs.length >= 2, 5000);
    expect(new Set(ticking.runs.map((r) => r.runId)).size).toBe(ticking.runs.length);
  });

  it('schedules a cron job at its next time in UTC, and lists it', async () => {
    const daily = recorded('daily', { schedule: { cron: '0 8 * * *' } });
    const running = scheduler();
    running.define([daily.definition]);
    await running.start();
    const [status] = await running.admin.list();
    const next = new Date(status!.nextRunAt!);
    expect(next.getUTCHours()).toBe(8);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(status).toEqual({
      name: 'daily',
      description: 'the daily job',
      schedule: 'cron 0 8 * * * (UTC)',
      lastRunAt: null,
      lastFinishedAt: null,
      nextRunAt: next.toISOString(),
      failures: 0,
      lastFailure: null,
      running: false,
    });
    expect(daily.runs).toHaveLength(0);
  });

  it('runs a job on demand, once however often it is asked before it starts; an unknown job is refused', async () => {
    const onDemand = recorded('on-demand');
    const running = scheduler();
    running.define([onDemand.definition]);
    expect(await running.admin.runNow('on-demand')).toBe(true);
    expect(await running.admin.runNow('on-demand')).toBe(true); // joins the run waiting to start
    expect(await running.admin.runNow('no-such-job')).toBe(false);
    await running.start();
    await eventually(async () => (await running.admin.list())[0]?.lastFinishedAt !== null);
    await sleep(300);
    expect(onDemand.runs).toHaveLength(1);
    const [status] = await running.admin.list();
    expect(status).toMatchObject({ name: 'on-demand', schedule: null, failures: 0, running: false });
    expect(Date.parse(status!.lastFinishedAt!)).toBeGreaterThanOrEqual(Date.parse(status!.lastRunAt!));
    expect(status!.nextRunAt).toBeNull();
  });

  it('keeps one finished on-demand record per job, the latest', async () => {
    const onDemand = recorded('kept-short');
    const running = scheduler();
    running.define([onDemand.definition]);
    await running.start();
    for (let i = 1; i <= 4; i++) {
      await running.admin.runNow('kept-short');
      await eventually(() => onDemand.runs.length === i);
      await eventually(async () => (await running.admin.list())[0]?.running === false);
    }
    await running.admin.runNow('kept-short');
    await eventually(() => onDemand.runs.length === 5);
    expect((await records('kept-short')).length).toBeLessThanOrEqual(2);
  });

  it('retries a failed run with exponential backoff, logs and counts each failure, then recovers', async () => {
    const observed: [string, string][] = [];
    const flaky = recorded('flaky', {}, async (_run, n) => {
      if (n <= 2) throw new Error(`flaky failure ${n}`);
    });
    const running = scheduler({ observe: (job, outcome) => observed.push([job, outcome]) });
    running.define([flaky.definition]);
    await running.start();
    await running.admin.runNow('flaky');
    await eventually(() => flaky.runs.length === 3);
    await eventually(async () => (await running.admin.list())[0]?.failures === 0);
    expect(observed).toEqual([
      ['flaky', 'failed'],
      ['flaky', 'failed'],
      ['flaky', 'ok'],
    ]);
    const [status] = await running.admin.list();
    expect(status).toMatchObject({ failures: 0, lastFailure: 'flaky failure 2', running: false });
    const times = flaky.runs.map((r) => r.now.getTime());
    // 50 ms, then 100 ms: each retry waits longer than the one before.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(95);
    const failures = logLines.filter((l) => l.msg === 'job run failed');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ job: 'flaky', attempt: 1, trigger: 'manual', level: 50 });
    expect(failures[1]).toMatchObject({ attempt: 2 });
    expect(logLines.filter((l) => l.msg === 'job run failed; retrying')).toHaveLength(2);
  });

  it('gives up after its retries, shows the failures, and waits for its next run', async () => {
    const broken = recorded('broken', { schedule: { cron: '0 3 * * *' } }, async () => {
      throw new Error('always broken');
    });
    const running = scheduler();
    running.define([broken.definition]);
    await running.start();
    await running.admin.runNow('broken');
    await eventually(() => broken.runs.length === 1 + FAST_RETRY.maxRetries);
    await eventually(async () => (await running.admin.list())[0]?.failures === 4);
    await sleep(500);
    expect(broken.runs).toHaveLength(4);
    const [status] = await running.admin.list();
    expect(status).toMatchObject({ failures: 4, lastFailure: 'always broken', running: false });
    expect(new Date(status!.nextRunAt!).getUTCHours()).toBe(3); // its schedule, untouched
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: expect.stringMatching(/after its retries/), job: 'broken' }),
    );
  });

  it('gives each run the clock it is given, and a run id of its own', async () => {
    const fixed = new Date('2031-05-06T07:08:09.000Z');
    const clocked = recorded('clocked');
    const running = scheduler({ clock: () => fixed });
    running.define([clocked.definition]);
    await running.start();
    await running.admin.runNow('clocked');
    await eventually(() => clocked.runs.length === 1);
    expect(clocked.runs[0]!.now).toEqual(fixed);
    expect(clocked.runs[0]!.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('runs each due run once with two schedulers on one database', async () => {
    const byScheduler: Record<string, number> = { a: 0, b: 0 };
    const counting = (who: 'a' | 'b', name: string, schedule?: JobDefinition['schedule']): JobDefinition => ({
      name,
      description: 'counts',
      schedule,
      async run() {
        byScheduler[who]! += 1;
        await sleep(20);
      },
    });
    const [a, b] = [scheduler({ name: 'scheduler-a' }), scheduler({ name: 'scheduler-b' })];
    a.define([counting('a', 'shared'), counting('a', 'scheduled', { cron: '0 4 * * *' })]);
    b.define([counting('b', 'shared'), counting('b', 'scheduled', { cron: '0 4 * * *' })]);
    await Promise.all([a.start(), b.start()]);
    // One schedule, however many schedulers wrote it.
    expect((await records('scheduled')).filter((r) => r.type === 'single')).toHaveLength(1);
    // Twenty runs due at once, as twenty requests would leave them.
    await db.knex('agenda_jobs').insert(
      Array.from({ length: 20 }, () => ({
        name: 'shared',
        type: 'normal',
        next_run_at: new Date(),
        data: {},
      })),
    );
    await eventually(async () =>
      (await records('shared')).every((r) => r.last_finished_at !== null && r.locked_at === null),
    );
    await sleep(500);
    expect(byScheduler.a! + byScheduler.b!).toBe(20);
    expect(byScheduler.a).toBeGreaterThan(0);
    expect(byScheduler.b).toBeGreaterThan(0);
  });

  it('lets a process that runs no jobs list them and queue runs that a running scheduler takes', async () => {
    const job = recorded('queued-elsewhere', { schedule: { cron: '0 5 * * *' } });
    const worker = scheduler();
    const api = scheduler();
    worker.define([job.definition]);
    api.define([job.definition]);
    await worker.start();
    expect(await api.admin.runNow('queued-elsewhere')).toBe(true);
    await eventually(() => job.runs.length === 1);
    await eventually(async () => (await api.admin.list())[0]?.lastFinishedAt !== null);
    const [status] = await api.admin.list();
    expect(new Date(status!.nextRunAt!).getUTCHours()).toBe(5);
  });

  it('keeps an unchanged schedule across restarts, runs a run it missed once, and rewrites a changed one', async () => {
    const first = recorded('nightly', { schedule: { cron: '0 2 * * *' } });
    const one = scheduler();
    one.define([first.definition]);
    await one.start();
    await one.stopAccepting();
    await one.close();
    // The scheduler was down when the run fell due.
    await db
      .knex('agenda_jobs')
      .where({ name: 'nightly' })
      .update({ next_run_at: new Date(Date.now() - 60_000) });

    const again = recorded('nightly', { schedule: { cron: '0 2 * * *' } });
    const two = scheduler();
    two.define([again.definition]);
    await two.start();
    await eventually(() => again.runs.length === 1);
    await sleep(400);
    expect(again.runs).toHaveLength(1);
    await eventually(async () => new Date((await two.admin.list())[0]!.nextRunAt!).getTime() > Date.now());
    await two.stopAccepting();
    await two.drain(2000);
    await two.close();

    const changed = recorded('nightly', { schedule: { cron: '30 1 * * *' } });
    const three = scheduler();
    three.define([changed.definition]);
    await three.start();
    const [status] = await three.admin.list();
    expect(status!.schedule).toBe('cron 30 1 * * * (UTC)');
    expect(new Date(status!.nextRunAt!).getUTCHours()).toBe(1);
    expect(new Date(status!.nextRunAt!).getUTCMinutes()).toBe(30);
    expect(await records('nightly')).toHaveLength(1);
    await three.stopAccepting();
    await three.close();

    const unscheduled = recorded('nightly');
    const four = scheduler();
    four.define([unscheduled.definition]);
    await four.start();
    expect(await records('nightly')).toHaveLength(0);
    expect((await four.admin.list())[0]).toMatchObject({ schedule: null, nextRunAt: null });
  });

  it('stops cleanly: no new runs, the run under way finishes and is recorded, its lock released', async () => {
    let release: () => void = () => undefined;
    const slow = recorded('slow', {}, () => new Promise<void>((resolve) => (release = resolve)));
    const later = recorded('later');
    const running = scheduler();
    running.define([slow.definition, later.definition]);
    await running.start();
    await running.admin.runNow('slow');
    await eventually(() => slow.runs.length === 1);
    expect((await running.admin.list())[0]).toMatchObject({ name: 'slow', running: true });

    await running.stopAccepting();
    await running.admin.runNow('later');
    expect(await running.drain(100)).toBe(false); // still under way
    setTimeout(() => release(), 100);
    expect(await running.drain(5000)).toBe(true);
    await sleep(300);
    expect(later.runs).toHaveLength(0);
    const [slowRecord] = (await records('slow')) as {
      locked_at: Date | null;
      last_finished_at: Date | null;
    }[];
    expect(slowRecord).toMatchObject({ locked_at: null, last_finished_at: expect.any(Date) });
  });

  it('refuses a job name that is not kebab-case, one defined twice, and a schedule it cannot read', () => {
    const made = scheduler();
    const job = (name: string, schedule?: JobDefinition['schedule']): JobDefinition => ({
      name,
      description: '',
      schedule,
      run: async () => undefined,
    });
    expect(() => made.define([job('Not Kebab')])).toThrow(/kebab-case/);
    expect(() => made.define([job('twice'), job('twice')])).toThrow(/defined twice/);
    expect(() => made.define([job('bad-cron', { cron: '61 25 * * *' })])).toThrow(/bad-cron.*61 25/);
    expect(() => made.define([job('bad-interval', { every: 'now and then' })])).toThrow(/now and then/);
    expect(made.jobNames()).toEqual(['twice']);
  });

  it('closed after losing its LISTEN connection, stops trying to reconnect (nothing holds the process open)', async () => {
    const store = createJobStore({ kind: 'postgresql', connectionString: db.database.url });
    const made = createScheduler({
      store,
      logger,
      processEveryMs: 100,
      retry: FAST_RETRY,
      lockLifetimeMs: 2000,
    });
    made.define([recorded('idle').definition]);
    await made.start();
    const channel = store.backend.notificationChannel!;
    let tries = 0;
    const connect = channel.connect.bind(channel);
    // A slow network: each try takes a while, so the scheduler closes while one is under way.
    channel.connect = async () => {
      tries++;
      await sleep(300);
      return connect();
    };
    // The LISTEN session dies: the channel starts reconnecting (every 100 ms at first).
    await db.knex.raw(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    );
    await eventually(() => tries > 0);
    await made.stopAccepting();
    await made.close();
    // The try under way fails on the closed pool; nothing tries again.
    await sleep(1500);
    expect(tries).toBe(1);
  });

  it('answers "unavailable" quickly when its store does not answer, and is not ready', async () => {
    const unreachable = createScheduler({
      store: createJobStore({ kind: 'postgresql', connectionString: 'postgres://nobody@127.0.0.1:1/none' }),
      logger: pino({ level: 'silent' }),
      storeWaitMs: 200,
    });
    open.push(unreachable);
    unreachable.define([recorded('anything').definition]);
    const began = Date.now();
    await expect(unreachable.admin.list()).rejects.toBeInstanceOf(JobStoreUnavailableError);
    await expect(unreachable.admin.runNow('anything')).rejects.toBeInstanceOf(JobStoreUnavailableError);
    expect(Date.now() - began).toBeLessThan(2000);
    await expect(unreachable.ping()).rejects.toThrow(/not connected/);

    const reachable = scheduler();
    await reachable.start();
    await expect(reachable.ping()).resolves.toBeUndefined();
  });
});
