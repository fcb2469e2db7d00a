/**
 * A process that dies holding an Idempotency-Key must not leave the key stuck: a retry takes it over once the
 * dead process's lease has run out, and the command then exists exactly once, whether or not the dead process
 * had appended it. The dead process is a real API process killed with SIGKILL mid-request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { anOrganization } from '../../test/support/fixtures';
import { useFixture, useTestApi } from '../../test/support/suite';

jest.setTimeout(90_000);

const JWT_SECRET = 'test-secret-test-secret-test-secret-000';

interface Child {
  process: ChildProcess;
  base: string;
}

const startApiProcess = (databaseUrl: string): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', '..', 'test', 'support', 'api-process.ts')],
      {
        env: { ...process.env, DATABASE_URL: databaseUrl, JWT_SECRET, IDEMPOTENCY_LEASE_MS: '1000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve({ process: child, base: `http://127.0.0.1:${match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`api process exited (${code}):\n${output}`)));
  });

const kill = (child: Child): Promise<void> =>
  new Promise((resolve) => {
    child.process.once('exit', () => resolve());
    child.process.kill('SIGKILL');
  });

const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
  for (const deadline = Date.now() + 20_000; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

describe('an Idempotency-Key held by a process that was killed', () => {
  const api = useTestApi({ jwtSecret: JWT_SECRET });
  /** One user, owner of an organization with a project. */
  const crashes = useFixture(() => anOrganization(api, 'Crashes').withProject('Project').build());

  const createdWithTitle = async (title: string): Promise<{ issueId: string }[]> =>
    (
      await api.pool.query<{ issueId: string }>(
        `SELECT data->>'issueId' AS "issueId" FROM events WHERE type = 'IssueCreated' AND data->>'title' = $1`,
        [title],
      )
    ).rows;
  const claimHeld = async (key: string): Promise<boolean> =>
    (
      await api.pool.query(
        'SELECT 1 FROM idempotency_keys WHERE key = $1 AND status IS NULL AND owner IS NOT NULL',
        [key],
      )
    ).rowCount === 1;

  /** Sends the request to the doomed process; it never answers. */
  const sendTo = (child: Child, key: string, body: object): void => {
    fetch(`${child.base}/api/v1/issues/`, {
      method: 'POST',
      headers: { ...crashes.owner.auth, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    }).catch(() => undefined);
  };
  const retry = (key: string, body: object) =>
    api.http.post('/api/v1/issues/').set(crashes.owner.auth).set('Idempotency-Key', key).send(body);

  it('is taken over by a retry that finds the append the dead process made, and creates nothing more', async () => {
    const body = { project: crashes.projects.Project, title: 'Appended before the crash' };
    // Without a projector anywhere, the doomed process appends, then waits for the read models until it dies.
    await api.system.projector.stop();
    const child = await startApiProcess(api.database.url);
    try {
      sendTo(child, 'crash-after-append', body);
      await until(async () => (await createdWithTitle(body.title)).length === 1, 'the append');
      expect(await claimHeld('crash-after-append')).toBe(true);
    } finally {
      await kill(child);
      api.system.projector.start();
    }

    const res = await retry('crash-after-append', body);
    expect(res.status).toBe(201);
    const created = await createdWithTitle(body.title);
    expect(created).toEqual([{ issueId: res.body.id }]);
    const again = await retry('crash-after-append', body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(res.body.id);
  });

  it('is taken over by a retry that makes the append the dead process never made, once', async () => {
    const body = { project: crashes.projects.Project, title: 'Killed before the append' };
    const child = await startApiProcess(api.database.url);
    // The doomed process claims the key, then blocks on the event log until it is killed.
    const lock = await api.pool.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      sendTo(child, 'crash-before-append', body);
      await until(() => claimHeld('crash-before-append'), 'the claim');
      await kill(child);
    } finally {
      await lock.query('ROLLBACK');
      lock.release();
    }
    expect(await createdWithTitle(body.title)).toEqual([]);

    const answers = await Promise.all([
      retry('crash-before-append', body),
      retry('crash-before-append', body),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 201]);
    expect(answers[1]!.body.id).toBe(answers[0]!.body.id);
    expect(await createdWithTitle(body.title)).toEqual([{ issueId: answers[0]!.body.id }]);
  });

  it('still makes a retry wait while the process holding the key is alive and renewing its lease', async () => {
    const body = { project: crashes.projects.Project, title: 'Slow but alive' };
    await api.system.projector.stop();
    const child = await startApiProcess(api.database.url);
    try {
      sendTo(child, 'alive-holder', body);
      await until(async () => (await createdWithTitle(body.title)).length === 1, 'the append');
      // Three leases long: a live holder renews, so the retry must not take over.
      const started = Date.now();
      const res = await api.http
        .post('/api/v1/issues/')
        .set(crashes.owner.auth)
        .set('Idempotency-Key', 'alive-holder')
        .send(body);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
      expect(res.status).toBe(409);
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await kill(child);
      api.system.projector.start();
    }
  });
  it('completes a registration whose process died between reserving the username and appending', async () => {
    const body = { username: 'halfway', email: 'halfway@example.com', password: 'a long password' };
    const child = await startApiProcess(api.database.url);
    const lock = await api.pool.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      fetch(`${child.base}/api/v1/auth/register/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'register-crash' },
        body: JSON.stringify(body),
      }).catch(() => undefined);
      await until(
        async () =>
          (await api.pool.query("SELECT 1 FROM user_credentials WHERE username = 'halfway'")).rowCount === 1,
        'the credentials row',
      );
      await kill(child);
    } finally {
      await lock.query('ROLLBACK');
      lock.release();
    }

    const res = await api.http
      .post('/api/v1/auth/register/')
      .set('Idempotency-Key', 'register-crash')
      .send(body);
    expect(res.status).toBe(201);
    const registered = await api.pool.query(
      "SELECT stream_id FROM events WHERE type = 'UserRegistered' AND data->>'username' = 'halfway'",
    );
    expect(registered.rows).toEqual([{ stream_id: `user-${res.body.id}` }]);
    await api.http
      .post('/api/v1/auth/login/')
      .send({ username: 'halfway', password: body.password })
      .expect(200);
  });
});
