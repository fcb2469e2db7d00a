/**
 * The production split as compose runs it, on one database: an `api` process and a `scheduler` process, both from
 * the real entry point with ADMIN_USERNAME and ADMIN_PASSWORD set. The admin made at the first start lists the jobs
 * on the API, asks it to run one, and the scheduler runs it; both stop cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../test/support/database';

jest.setTimeout(120_000);

interface Running {
  child: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<number | null>;
}

const ADMIN = { username: 'root', password: 'a long admin password' };

/** Starts `src/main.ts` in the role, waits for its banner and returns its base URL. */
const boot = (role: 'api' | 'scheduler', databaseUrl: string): Promise<Running> => {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ROLE: role,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: 'a-test-secret-a-test-secret-a-test-secret',
    PORT: '0',
    LOG_LEVEL: 'warn',
    PASSWORD_HASH_COST: '10',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  };
  for (const name of ['REDIS_URL', 'EVENTSTORE_CONNECTION_STRING', 'MONGODB_URL', 'SMTP_URL', 'NODE_ENV'])
    delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'main.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const banner =
    role === 'api' ? /API\s+(http:\/\/[^\s]+)\/api\/v1\// : /health at (http:\/\/[^\s]+)\/healthz/;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start:\n${output}`)), 90_000);
    const check = () => {
      const match = banner.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, base: match[1]!, output: () => output, exited });
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${role} exited before starting:\n${output}`));
    });
  });
};

const json = async (base: string, method: string, url: string, token?: string, body?: unknown) => {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
};

const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time; last: ${JSON.stringify(value)}`);
    await sleep(200);
  }
};

describe('ROLE=api and ROLE=scheduler on one database', () => {
  let database: TestDatabase;
  const processes: Running[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('tt_roles');
  });
  afterAll(async () => {
    for (const running of processes) running.child.kill('SIGKILL');
    await database.drop();
  });

  it('makes the admin once, lists and runs jobs through the API, runs them on the scheduler, and stops cleanly', async () => {
    // The scheduler first: the API's migration run then finds the schema made, as compose's `migrate` leaves it.
    const scheduler = await boot('scheduler', database.url);
    processes.push(scheduler);
    const api = await boot('api', database.url);
    processes.push(api);

    const login = await json(api.base, 'POST', '/api/v1/auth/login/', undefined, ADMIN);
    expect(login.status).toBe(200);
    const token = login.body.access as string;
    expect((await json(api.base, 'GET', '/api/v1/me/', token)).body).toMatchObject({ is_admin: true });

    type Job = { name: string; next_run_at: string | null; last_finished_at: string | null };
    const jobs = () =>
      json(api.base, 'GET', '/api/v1/admin/jobs/', token).then((r) => r.body.results as Job[]);
    const cleanupOf = (list: Job[]) => list.find((job) => job.name === 'cleanup');
    // The schedules are written by the scheduler, and shown by the API.
    const listed = await eventually(jobs, (list) => cleanupOf(list)?.next_run_at != null);
    expect(listed.map((job) => job.name)).toEqual(expect.arrayContaining(['cleanup', 'overdue-reminders']));

    const run = await json(api.base, 'POST', '/api/v1/admin/jobs/cleanup/run/', token, {});
    expect(run).toEqual({ status: 202, body: { name: 'cleanup', queued: true } });
    await eventually(jobs, (list) => cleanupOf(list)?.last_finished_at != null);
    const metrics = await eventually(
      () => fetch(`${scheduler.base}/metrics`).then((r) => r.text()),
      (text) => text.includes('job_runs_total{job="cleanup"} 1'),
    );
    expect(metrics).toContain('job_failures_total{job="cleanup"} 0');

    for (const running of [api, scheduler]) {
      const ready = await json(running.base, 'GET', '/readyz');
      expect(ready).toEqual({
        status: 200,
        body: { status: 'ok', checks: expect.objectContaining({ jobs: 'ok' }) },
      });
    }
    // The user exists once, though both processes started with ADMIN_USERNAME.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE type = 'UserRegistered' AND data->>'username' = $1`,
        [ADMIN.username],
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      await client.end();
    }

    scheduler.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    expect(await scheduler.exited).toBe(0);
    expect(await api.exited).toBe(0);
  });
});
