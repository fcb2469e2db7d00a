/**
 * The admin job endpoints over HTTP, with the real scheduler on the suite's database running the system's own jobs:
 * admins list them and run one now; anyone else is refused.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { TestUser } from '../../../test/support/api';
import { expectProblem, expectStatus } from '../../../test/support/http';
import { useFixture, useTestApi } from '../../../test/support/suite';
import type { JobAdmin } from '../../jobs/job';
import { createJobStore } from '../../jobs/scheduler/backend';
import { createScheduler, type Scheduler } from '../../jobs/scheduler/scheduler';
import { NO_JOBS } from './admin';

const eventually = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
};

describe('admin job endpoints', () => {
  /** The scheduler is made once the suite's database exists: the system gets this stand-in first. */
  let target: JobAdmin = NO_JOBS;
  const jobAdmin: JobAdmin = { list: () => target.list(), runNow: (name) => target.runNow(name) };
  const api = useTestApi({ jobAdmin });
  let scheduler: Scheduler;
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });
  const member = useFixture(() => api.user('member'));

  beforeAll(async () => {
    scheduler = createScheduler({
      store: createJobStore({ kind: 'postgresql', connectionString: api.database.url }),
      logger: pino({ level: 'silent' }),
      processEveryMs: 100,
      lockLifetimeMs: 2000,
    });
    scheduler.define(api.system.jobs);
    await scheduler.start();
    target = scheduler.admin;
  });
  afterAll(async () => {
    await scheduler.stopAccepting();
    await scheduler.drain(5000);
    await scheduler.close();
  });

  const jobs = async (user: TestUser) => {
    const res = await api.http.get('/api/v1/admin/jobs/').set(user.auth);
    expectStatus(res, 200);
    return res.body as { results: Record<string, unknown>[]; next: null };
  };

  it('shows admins every job: schedule, last and next run, failures', async () => {
    const me = await api.http.get('/api/v1/me/').set(admin.auth);
    expect(me.body.is_admin).toBe(true);
    const body = await jobs(admin);
    expect(body.next).toBeNull();
    const names = body.results.map((job) => job.name);
    expect(names).toEqual(expect.arrayContaining(['cleanup', 'overdue-reminders']));
    const cleanup = body.results.find((job) => job.name === 'cleanup');
    expect(cleanup).toEqual({
      name: 'cleanup',
      description: expect.stringContaining('idempotency keys'),
      schedule: 'cron 17 * * * * (UTC)',
      last_run_at: null,
      last_finished_at: null,
      next_run_at: expect.stringMatching(/:17:00\.000Z$/),
      failures: 0,
      last_failure: null,
      running: false,
    });
  });

  it('runs a job now for an admin (202), which the scheduler then runs', async () => {
    await api.knex('idempotency_keys').insert({
      scope: 'someone',
      key: 'expired',
      fingerprint: 'f',
      expires_at: new Date(Date.now() - 60_000),
    });
    const res = await api.http.post('/api/v1/admin/jobs/cleanup/run/').set(admin.auth).send({});
    expectStatus(res, 202);
    expect(res.body).toEqual({ name: 'cleanup', queued: true });
    await eventually(async () => (await api.knex('idempotency_keys').where({ key: 'expired' })).length === 0);
    await eventually(async () => {
      const cleanup = (await jobs(admin)).results.find((job) => job.name === 'cleanup');
      return cleanup?.last_finished_at !== null && cleanup?.running === false;
    });
  });

  it('answers 404 for a job it does not have, without a trailing slash too', async () => {
    expectProblem(await api.http.post('/api/v1/admin/jobs/no-such-job/run/').set(admin.auth).send({}), 404);
    expectProblem(await api.http.post('/api/v1/admin/jobs/no-such-job/run').set(admin.auth), 404);
  });

  it('refuses a signed-in user who is not an admin with 403, and anonymous callers with 401', async () => {
    expectProblem(await api.http.get('/api/v1/admin/jobs/').set(member.auth), 403);
    expectProblem(await api.http.post('/api/v1/admin/jobs/cleanup/run/').set(member.auth).send({}), 403);
    // A non-admin learns nothing about which jobs exist.
    expectProblem(await api.http.post('/api/v1/admin/jobs/no-such-job/run/').set(member.auth).send({}), 403);
    const anonymous = await api.http.get('/api/v1/admin/jobs/');
    expectProblem(anonymous, 401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await api.http.post('/api/v1/admin/jobs/cleanup/run/').send({}), 401);
  });

  it('stops answering an admin who was demoted, at once', async () => {
    const former = await api.user('former');
    await api.system.credentials.setAdmin(former.id, true);
    await jobs(former);
    await api.system.credentials.setAdmin(former.id, false);
    expectProblem(await api.http.get('/api/v1/admin/jobs/').set(former.auth), 403);
  });

  it('answers a retry with the same Idempotency-Key as the first time', async () => {
    const send = () =>
      api.http
        .post('/api/v1/admin/jobs/cleanup/run/')
        .set(admin.auth)
        .set('Idempotency-Key', 'run-cleanup-once')
        .send({});
    const first = await send();
    const again = await send();
    expectStatus(first, 202);
    expectStatus(again, 202);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('answers 503 when the job store does not answer', async () => {
    const unreachable = createScheduler({
      store: createJobStore({ kind: 'postgresql', connectionString: 'postgres://nobody@127.0.0.1:1/none' }),
      logger: pino({ level: 'silent' }),
      storeWaitMs: 200,
    });
    unreachable.define(api.system.jobs);
    target = unreachable.admin;
    try {
      const res = await api.http.get('/api/v1/admin/jobs/').set(admin.auth);
      expectProblem(res, 503);
      expect(res.headers['retry-after']).toBe('5');
      expectProblem(await api.http.post('/api/v1/admin/jobs/cleanup/run/').set(admin.auth).send({}), 503);
    } finally {
      target = scheduler.admin;
      await unreachable.close();
    }
  });
});
