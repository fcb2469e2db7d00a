/**
 * No secret, password or token reaches a log line (QUALITY.md). The service runs as its real process (src/main.ts,
 * every role) with its log at `debug`, a database password in DATABASE_URL, a metrics token, an admin password, an
 * SMTP password, and a JWT secret. A client drives what handles secrets: registrations (one refused with its
 * password in the body), logins right and wrong (until throttled), refreshes and a reused refresh token, logout,
 * idempotent commands and their replays and mismatches, WebSockets authenticated by `?token=`, header and
 * subprotocol, plain requests that carry a token in the query string by mistake, /metrics with and without its
 * token, and an email job that logs in to an SMTP server that refuses it. Then every line the process
 * printed is scanned for each secret (and the parts of one that would give it away): the passwords, the JWT secret,
 * the database, SMTP and metrics secrets, every access and refresh token issued (and each one's signature), the
 * stored password hashes, refresh-token hashes and Idempotency-Key fingerprints.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { SMTPServer } from 'smtp-server';
import { WebSocket } from 'ws';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { recordFigures } from '../../test/support/figures';
import { alarmingLines, type ServiceProcess, startService } from '../../test/support/service-process';

jest.setTimeout(120_000);

const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;

describe('secrets in the logs of a real process at debug level', () => {
  const secrets = new Map<string, string>();
  const keep = (name: string, value: string | undefined | null) => {
    if (value) secrets.set(`${name} (${secrets.size})`, value);
  };
  let database: TestDatabase;
  let service: ServiceProcess;
  let smtp: SMTPServer;
  let smtpAuths = 0;
  const SECRETS = {
    jwt: secret('jwt-secret-jwt-secret'),
    db: secret('db-password'),
    smtp: secret('smtp-password'),
    metrics: secret('metrics-token'),
    admin: secret('admin-password'),
  };

  beforeAll(async () => {
    database = await createTestDatabase('tt_log_scan');
    smtp = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, callback) {
        smtpAuths += 1;
        // Refused, so that the failure (and its error, with whatever it carries) is logged too.
        if (auth.username === 'mailer') callback(new Error('535 authentication failed'));
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    // Trust authentication takes any password: the one in the URL is only there to be leaked or not.
    const url = new URL(database.url);
    url.password = SECRETS.db;
    service = await startService('all', {
      DATABASE_URL: url.toString(),
      JWT_SECRET: SECRETS.jwt,
      LOG_LEVEL: 'debug',
      METRICS_TOKEN: SECRETS.metrics,
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: SECRETS.admin,
      SMTP_URL: `smtp://mailer:${SECRETS.smtp}@127.0.0.1:${smtpPort}`,
      EMAIL_BATCH_WINDOW_SECONDS: '0',
      LOGIN_LIMIT_PER_ACCOUNT: '3',
      REGISTER_LIMIT_PER_ADDRESS: '1000',
    });
    for (const [name, value] of Object.entries(SECRETS)) keep(name, value);
  });
  afterAll(async () => {
    await service?.stop();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    await database?.drop();
  });

  const call = async (
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const res = await fetch(`${service.base}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    const body = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {};
    // Every token the service hands out is a secret to look for.
    keep('access token', body.access as string | undefined);
    keep('refresh token', body.refresh as string | undefined);
    return { status: res.status, body };
  };
  /** Opens a socket, waits for it to open or close, and closes it. */
  const socket = (path: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`${service.base.replace(/^http/, 'ws')}${path}`, options.protocols ?? [], {
        headers: options.headers,
      });
      // A refused socket opens, then gets its close code: open means still open a moment later.
      ws.on('open', () =>
        setTimeout(() => {
          resolve('open');
          ws.close();
        }, 300),
      );
      ws.on('close', (code) => resolve(String(code)));
      ws.on('error', () => resolve('error'));
    });

  it('writes no password, secret, token, hash or fingerprint to any log line', async () => {
    // Registrations, one of them retried with its Idempotency-Key, one refused with its password in the body.
    const users: { username: string; password: string; id: string }[] = [];
    for (const name of ['ann', 'bob', 'cyd']) {
      const username = `${name}${randomBytes(3).toString('hex')}`;
      const password = secret(`${name}-password`);
      keep(`${name}'s password`, password);
      const body = { username, email: `${username}@example.com`, password };
      const registered = await call('POST', '/api/v1/auth/register/', {
        body,
        headers: { 'idempotency-key': `register-${username}` },
      });
      expect(registered.status).toBe(201);
      expect(
        (
          await call('POST', '/api/v1/auth/register/', {
            body,
            headers: { 'idempotency-key': `register-${username}` },
          })
        ).status,
      ).toBe(201);
      users.push({ username, password, id: registered.body.id as string });
    }
    const refusedPassword = secret('short');
    keep('a refused password', refusedPassword);
    expect(
      (
        await call('POST', '/api/v1/auth/register/', {
          body: { username: users[0]!.username, email: 'taken@example.com', password: refusedPassword },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await call('POST', '/api/v1/auth/register/', {
          body: { username: 'x', email: 'nope', password: 'short' },
        })
      ).status,
    ).toBe(400);
    const [ann, bob, cyd] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];

    // Logins: right, through both paths; wrong until throttled; the admin's.
    const login = async (user: { username: string; password: string }, path = '/api/v1/auth/login/') =>
      call('POST', path, { body: { username: user.username, password: user.password } });
    const annLogin = await login(ann);
    const bobLogin = await login(bob, '/api/token/');
    expect([annLogin.status, bobLogin.status]).toEqual([200, 200]);
    for (let i = 0; i < 5; i++) {
      const wrong = secret(`wrong-guess-${i}`);
      keep('a wrong password', wrong);
      expect([401, 429]).toContain((await login({ username: cyd.username, password: wrong })).status);
    }
    const admin = await call('POST', '/api/v1/auth/login/', {
      body: { username: 'root', password: SECRETS.admin },
    });
    expect(admin.status).toBe(200);
    const adminToken = admin.body.access as string;

    // Refreshes: a rotation, a spent token presented again (revoking the family), garbage; a logout.
    const rotated = await call('POST', '/api/v1/auth/refresh/', { body: { refresh: annLogin.body.refresh } });
    expect(rotated.status).toBe(200);
    expect(
      (await call('POST', '/api/token/refresh/', { body: { refresh: annLogin.body.refresh } })).status,
    ).toBe(401);
    expect((await call('POST', '/api/v1/auth/refresh/', { body: { refresh: 'never-issued' } })).status).toBe(
      401,
    );
    const annAgain = await login(ann);
    const annToken = annAgain.body.access as string;
    const bobToken = bobLogin.body.access as string;
    expect(
      (
        await call('POST', '/api/v1/auth/logout/', {
          token: bobToken,
          body: { refresh: bobLogin.body.refresh },
        })
      ).status,
    ).toBe(204);
    const bobAgain = await login(bob);
    const bobFresh = bobAgain.body.access as string;

    // Idempotent commands: first answers, replays, a key reused with another body.
    const org = await call('POST', '/api/v1/organizations/', {
      token: annToken,
      body: { name: 'Logs' },
      headers: { 'idempotency-key': 'org-1' },
    });
    expect(org.status).toBe(201);
    await call('POST', '/api/v1/organizations/', {
      token: annToken,
      body: { name: 'Logs' },
      headers: { 'idempotency-key': 'org-1' },
    });
    expect(
      (
        await call('POST', '/api/v1/organizations/', {
          token: annToken,
          body: { name: 'Other' },
          headers: { 'idempotency-key': 'org-1' },
        })
      ).status,
    ).toBe(422);
    const orgId = org.body.id as string;
    await call('POST', `/api/v1/organizations/${orgId}/members/`, {
      token: annToken,
      body: { user_id: bob.id, role: 'member' },
    });
    const project = await call('POST', '/api/v1/projects/', {
      token: annToken,
      body: { organization: orgId, name: 'Logs' },
      headers: { 'idempotency-key': 'project-1' },
    });
    const projectId = project.body.id as string;
    // An issue for bob: a notification, and an email to him through SMTP (whose first login is refused).
    const issue = await call('POST', '/api/v1/issues/', {
      token: annToken,
      body: { project: projectId, title: 'Mail me', assigned_to_id: bob.id },
      headers: { 'idempotency-key': 'issue-1' },
    });
    expect(issue.status).toBe(201);
    await call('PATCH', `/api/v1/issues/${issue.body.id}/`, {
      token: annToken,
      body: { title: 'Mail me again' },
    });

    // WebSockets by each way of giving the token, and refused ones; tokens in the query string of plain requests.
    expect(await socket(`/ws/projects/${projectId}/?token=${annToken}`)).toBe('open');
    expect(await socket('/ws/notifications/', { headers: { authorization: `Bearer ${bobFresh}` } })).toBe(
      'open',
    );
    expect(await socket('/ws/notifications/', { protocols: [`bearer.${annToken}`] })).toBe('open');
    expect(await socket(`/ws/notifications/?token=${bobToken}`)).toBe('4001'); // logged out
    expect(await socket(`/ws/notifications/?token=${annLogin.body.access}`)).toBe('4001'); // family revoked
    expect(await socket(`/ws/nowhere/?token=${annToken}`)).toBe('error'); // 404 before the upgrade
    for (const query of [
      `token=${annToken}`,
      `access_token=${annToken}`,
      `%74oken=${annToken}`,
      `x=1&TOKEN=${annToken}`,
    ])
      await call('GET', `/api/v1/me/?${query}`, { token: annToken });
    await call('GET', `/ws/notifications/?token=${annToken}`);
    await call('GET', `/api/v1/issues/${issue.body.id}/?refresh=${annAgain.body.refresh}`, {
      token: annToken,
    });

    // Operations: metrics with its token and with a wrong one; the admin's views.
    const metrics = await fetch(`${service.base}/metrics`, {
      headers: { authorization: `Bearer ${SECRETS.metrics}` },
    });
    expect(metrics.status).toBe(200);
    await fetch(`${service.base}/metrics`, { headers: { authorization: 'Bearer wrong-metrics-token' } });
    expect((await call('GET', '/api/v1/admin/jobs/', { token: adminToken })).status).toBe(200);
    expect(
      (await call('POST', '/api/v1/admin/jobs/cleanup/run/', { token: adminToken, body: {} })).status,
    ).toBe(202);

    // The email job logged in to SMTP with the password, was refused, and logged its failure.
    const deadline = Date.now() + 30_000;
    while (!service.output().includes('could not be sent') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtpAuths).toBeGreaterThan(0);
    expect(service.output()).toContain('could not be sent');

    // What the database keeps that would give a secret away.
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      for (const { password_hash } of (await db.query('SELECT password_hash FROM user_credentials')).rows)
        keep('a password hash', password_hash as string);
      for (const { token_hash } of (await db.query('SELECT token_hash FROM refresh_tokens')).rows)
        keep('a refresh token hash', token_hash as string);
      for (const { fingerprint } of (await db.query('SELECT fingerprint FROM idempotency_keys')).rows)
        keep('an Idempotency-Key fingerprint', fingerprint as string);
    } finally {
      await db.end();
    }
    // A JWT's signature alone, and credentials as SMTP AUTH would encode them.
    for (const [name, value] of [...secrets]) {
      const parts = value.split('.');
      if (name.startsWith('access token') && parts.length === 3) keep('an access token signature', parts[2]);
    }
    keep('SMTP AUTH PLAIN', Buffer.from(`\u0000mailer\u0000${SECRETS.smtp}`).toString('base64'));
    keep('SMTP AUTH LOGIN password', Buffer.from(SECRETS.smtp).toString('base64'));

    await service.stop();
    const lines = service.output().split('\n');
    // The log is there at debug level: request lines, the masked query token among them.
    expect(lines.filter((l) => l.includes('"msg":"request completed"')).length).toBeGreaterThan(30);
    expect(lines.some((l) => l.includes('token=[redacted]'))).toBe(true);
    const leaks: string[] = [];
    for (const [index, line] of lines.entries())
      for (const [name, value] of secrets)
        if (value.length >= 8 && line.includes(value))
          leaks.push(`line ${index + 1}: ${name}: ${line.slice(0, 300)}`);
    recordFigures('security-logs', {
      'log lines scanned (debug level)': lines.length,
      'secrets looked for': secrets.size,
      leaks: leaks.length,
    });
    expect(leaks).toEqual([]);
    expect(secrets.size).toBeGreaterThan(30);
    expect(alarmingLines(service.output()).filter((l) => !/email|smtp|mail/i.test(l))).toEqual([]);
  });
});
