/**
 * The scheduler on Agenda's MongoDB backend, against a real server: runs when MONGODB_URL names one (each test uses
 * a database of its own, dropped after). No MongoDB runs on these machines: without MONGODB_URL this suite says that
 * it did not run and why, and is reported as skipped, never as passed.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { describeUnless } from '../../../test/support/skip';
import type { JobDefinition, JobRun } from '../job';
import { createJobStore, JOBS_TABLE } from './backend';
import { createScheduler, type Scheduler } from './scheduler';

const url = process.env.MONGODB_URL || undefined;
const redacted = (text: string) => text.replace(/\/\/[^@/]*@/, '//***@');

if (url) console.info(`The MongoDB scheduler suite runs against MONGODB_URL (${redacted(url)}).`);
const noMongo = url
  ? null
  : 'MONGODB_URL is not set (no MongoDB server runs on this machine); set it (e.g. mongodb://127.0.0.1:27017) ' +
    'to run this suite; its wiring is tested in backend.test.ts';

/** The URL with the database replaced by `name`, its options kept. */
const withDatabase = (base: string, name: string): string => {
  const [head = '', query] = base.split('?');
  const hosts = head.replace(/^(mongodb(?:\+srv)?:\/\/[^/]*).*$/, '$1');
  return `${hosts}/${name}${query ? `?${query}` : ''}`;
};

const eventually = async (check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
};

describeUnless(noMongo, 'the job scheduler on MongoDB (MONGODB_URL)', () => {
  jest.setTimeout(60_000);
  let database: string;
  let client: MongoClient;
  const open: Scheduler[] = [];

  const scheduler = (name?: string): Scheduler => {
    const made = createScheduler({
      store: createJobStore({ kind: 'mongodb', url: withDatabase(url!, database) }),
      logger: pino({ level: 'silent' }),
      processEveryMs: 100,
      lockLifetimeMs: 2000,
      retry: { delayMs: 50, factor: 2, maxDelayMs: 1000, maxRetries: 2, jitter: 0 },
      name,
    });
    open.push(made);
    return made;
  };
  const recorded = (name: string, extra: Partial<JobDefinition> = {}, fail = 0) => {
    const runs: JobRun[] = [];
    const definition: JobDefinition = {
      name,
      description: name,
      ...extra,
      async run(run) {
        runs.push(run);
        if (runs.length <= fail) throw new Error(`failure ${runs.length}`);
      },
    };
    return { definition, runs };
  };

  beforeEach(async () => {
    database = `tt_jobs_${randomBytes(4).toString('hex')}`;
    client = new MongoClient(withDatabase(url!, database));
    await client.connect();
  });
  afterEach(async () => {
    for (const made of open.splice(0)) {
      await made.stopAccepting();
      await made.drain(5000);
      await made.close();
    }
    await client.db(database).dropDatabase();
    await client.close();
  });

  it('schedules in UTC, runs on demand, retries a failure, and lists what happened', async () => {
    const flaky = recorded('flaky', { schedule: { cron: '0 8 * * *' } }, 1);
    const running = scheduler();
    running.define([flaky.definition]);
    await running.start();
    await running.ping();
    expect(await running.admin.runNow('flaky')).toBe(true);
    expect(await running.admin.runNow('nope')).toBe(false);
    await eventually(() => flaky.runs.length === 2);
    await eventually(async () => (await running.admin.list())[0]?.failures === 0);
    const [status] = await running.admin.list();
    expect(status).toMatchObject({ name: 'flaky', lastFailure: 'failure 1', running: false });
    expect(new Date(status!.nextRunAt!).getUTCHours()).toBe(8);
  });

  it('runs each due run once with two schedulers on one database', async () => {
    let count = 0;
    const job: JobDefinition = {
      name: 'shared',
      description: '',
      async run() {
        count += 1;
        await sleep(20);
      },
    };
    const [a, b] = [scheduler('a'), scheduler('b')];
    a.define([job, recorded('scheduled', { schedule: { cron: '0 4 * * *' } }).definition]);
    b.define([job, recorded('scheduled', { schedule: { cron: '0 4 * * *' } }).definition]);
    await Promise.all([a.start(), b.start()]);
    const jobs = client.db(database).collection(JOBS_TABLE);
    expect(await jobs.countDocuments({ name: 'scheduled', type: 'single' })).toBe(1);
    await jobs.insertMany(
      Array.from({ length: 20 }, () => ({
        name: 'shared',
        type: 'normal',
        priority: 0,
        nextRunAt: new Date(),
        data: {},
        disabled: false,
      })),
    );
    await eventually(
      async () => (await jobs.countDocuments({ name: 'shared', lastFinishedAt: { $exists: true } })) === 20,
    );
    await sleep(500);
    expect(count).toBe(20);
  });
});
