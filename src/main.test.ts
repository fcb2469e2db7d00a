/**
 * The embedded default as a newcomer runs it: `npm start` with nothing set. Boots the real entry point in a
 * child process with a temporary data folder, runs the original flow, stops it with SIGTERM, and starts again.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

jest.setTimeout(120_000);

interface Running {
  child: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<number | null>;
}

const boot = (dataDir: string): Promise<Running> => {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
    PASSWORD_HASH_COST: '10',
  };
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'EVENTSTORE_CONNECTION_STRING',
    'ROLE',
    'NODE_ENV',
    'SMTP_URL',
    'MONGODB_URL',
  ])
    delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'main.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 90_000);
    const check = () => {
      const match = /API\s+(http:\/\/[^\s]+)\/api\/v1\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, base: match[1]!, output: () => output, exited });
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer); // else it holds jest up after a failed start
      reject(new Error(`exited before starting:\n${output}`));
    });
  });
};

/** Processes whose command line names the folder: a postmaster of a cluster in it. */
const postgresProcessesOf = (folder: string): string => {
  try {
    return execFileSync('pgrep', ['-af', folder], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

const call = async (base: string, method: string, url: string, body?: unknown, token?: string) => {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { results?: { id: string }[] },
  };
};

/** Registers a user (expecting 201) and logs them in; returns the access token. */
const registerAndLogIn = async (base: string, username: string, email: string): Promise<string> => {
  const password = 'a long password';
  expect((await call(base, 'POST', '/api/v1/auth/register/', { username, email, password })).status).toBe(
    201,
  );
  const login = await call(base, 'POST', '/api/v1/auth/login/', { username, password });
  return login.body.access as string;
};

describe('npm start, the embedded default', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tt-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs the flow, stops cleanly on SIGTERM, and finds its data after a restart', async () => {
    const first = await boot(dataDir);
    const { base } = first;
    // The banner says where jobs run and that, without SMTP_URL, no email is sent.
    expect(first.output()).toMatch(/jobs\s+run here \(Agenda on PostgreSQL\)/);
    expect(first.output()).toMatch(/email\s+off: SMTP_URL is not set, so no email is sent/);
    const token = await registerAndLogIn(base, 'newcomer', 'n@example.com');
    const org = await call(base, 'POST', '/api/v1/organizations/', { name: 'First' }, token);
    const project = await call(
      base,
      'POST',
      '/api/v1/projects/',
      { organization: org.body.id, name: 'Tracker' },
      token,
    );
    const issue = await call(
      base,
      'POST',
      '/api/v1/issues/',
      { project: project.body.id, title: 'Survives restarts' },
      token,
    );
    expect(issue.status).toBe(201);
    const list = await call(base, 'GET', '/api/v1/issues/', undefined, token);
    expect(list.body.results!.map((i) => i.id)).toEqual([issue.body.id]);

    // No JWT_SECRET: a secret of its own, made on first start and kept in the data folder for its owner alone.
    const secretFile = path.join(dataDir, 'jwt-secret');
    expect(readFileSync(secretFile, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    expect(statSync(secretFile).mode & 0o077).toBe(0);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(postgresProcessesOf(dataDir)).toBe('');

    const second = await boot(dataDir);
    // The same secret after a restart: a token from before still works.
    expect((await call(second.base, 'GET', '/api/v1/me/', undefined, token)).status).toBe(200);
    const again = await call(second.base, 'POST', '/api/v1/auth/login/', {
      username: 'newcomer',
      password: 'a long password',
    });
    const listed = await call(second.base, 'GET', '/api/v1/issues/', undefined, again.body.access as string);
    expect(listed.body.results!.map((i) => i.id)).toEqual([issue.body.id]);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(postgresProcessesOf(dataDir)).toBe('');
  });
});

describe('npm start in a checkout inside a folder only root may enter', () => {
  // A clone in /root or in a `mktemp -d` folder: 0700, and as root PostgreSQL runs as a user who cannot enter it.
  const closed = mkdtempSync(path.join(tmpdir(), 'tt-closed-'));
  const dataDir = path.join(closed, 'c', '.data');
  /** Where the app put its cluster, as postgres.json records it (absent: in the data folder). */
  const clusterOf = (): string =>
    (JSON.parse(readFileSync(path.join(dataDir, 'postgres.json'), 'utf8')) as { cluster?: string }).cluster ??
    path.join(dataDir, 'postgres');
  /** Stopped after the test: a failed expectation must not leave the app (and its PostgreSQL) running. */
  const booted: Running[] = [];
  const start = async () => {
    const running = await boot(dataDir);
    booted.push(running);
    return running;
  };
  beforeAll(() => mkdirSync(path.dirname(dataDir)));
  afterAll(async () => {
    for (const { child, exited } of booted) {
      child.kill('SIGTERM');
      await exited;
    }
    // Read here, not kept from the test: a start that failed after initdb still leaves a cluster to remove.
    const cluster = (() => {
      try {
        return clusterOf();
      } catch {
        return undefined; // no postgres.json: nothing was made
      }
    })();
    if (cluster && !cluster.startsWith(`${closed}${path.sep}`)) {
      rmSync(path.dirname(cluster), { recursive: true, force: true });
    }
    rmSync(closed, { recursive: true, force: true });
  });

  it('starts with nothing configured, stops cleanly on SIGTERM, and finds its data after a restart', async () => {
    const first = await start();
    const cluster = clusterOf();
    const { base } = first;
    const token = await registerAndLogIn(base, 'private', 'p@example.com');
    const org = await call(base, 'POST', '/api/v1/organizations/', { name: 'Kept' }, token);
    expect(org.status).toBe(201);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(postgresProcessesOf(cluster)).toBe('');

    const second = await start();
    expect(clusterOf()).toBe(cluster);
    const again = await call(second.base, 'POST', '/api/v1/auth/login/', {
      username: 'private',
      password: 'a long password',
    });
    expect(again.status).toBe(200);
    const listed = await call(
      second.base,
      'GET',
      '/api/v1/organizations/',
      undefined,
      again.body.access as string,
    );
    expect(listed.body.results!.map((o) => o.id)).toEqual([org.body.id]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(postgresProcessesOf(cluster)).toBe('');
  });
});
