import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import pino from 'pino';
import { embeddedClusterDir, startEmbeddedPostgres } from './embedded-postgres';
import { isAlive } from './postmaster-lock';

jest.setTimeout(120_000);

const logger = pino({ level: 'silent' });

const query = async (url: string, sql: string): Promise<unknown[]> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** pids whose command line names the cluster (the postmaster), or whose parent is the given postmaster. */
const pgrep = (...args: string[]): number[] => {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};

const postmasterPid = async (cluster: string) =>
  Number((await readFile(path.join(cluster, 'postmaster.pid'), 'utf8')).split('\n')[0]);

const eventually = async (check: () => Promise<void>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
};

describe('embedded PostgreSQL', () => {
  let dataDir: string;
  let cluster: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'tt-embedded-'));
    cluster = embeddedClusterDir(dataDir);
  });

  afterEach(async () => {
    for (const pid of pgrep('-f', cluster)) process.kill(pid, 'SIGKILL'); // only after a failed test
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps its data across a stop and a start on the same port, and leaves no process behind', async () => {
    const first = await startEmbeddedPostgres({ dataDir, logger });
    expect(first.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/team_tracker$/);
    await query(first.url, 'create table kept (id int primary key); insert into kept values (42)');
    const pid = await postmasterPid(cluster);
    expect(pgrep('-P', String(pid)).length).toBeGreaterThan(0);

    await Promise.all([first.stop(), first.stop()]);
    await first.stop();
    expect(isAlive(pid)).toBe(false);
    expect(pgrep('-f', cluster)).toEqual([]);
    expect(pgrep('-P', String(pid))).toEqual([]);

    const second = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(second.port).toBe(first.port);
      expect(await query(second.url, 'select id from kept')).toEqual([{ id: 42 }]);
    } finally {
      await second.stop();
    }
    expect(pgrep('-f', cluster)).toEqual([]);
  });

  it('comes back by itself when its postmaster is killed, and starts over a stale postmaster.pid', async () => {
    const db = await startEmbeddedPostgres({ dataDir, logger });
    await query(db.url, 'create table kept (id int primary key); insert into kept values (1)');

    process.kill(await postmasterPid(cluster), 'SIGKILL');
    await eventually(async () => {
      expect(await query(db.url, 'select id from kept')).toEqual([{ id: 1 }]);
    });

    // Now as if the whole app had crashed: the postmaster dies and nobody restarts it.
    const pid = await postmasterPid(cluster);
    process.kill(pid, 'SIGKILL');
    await db.stop();
    expect(isAlive(pid)).toBe(false);
    expect(await postmasterPid(cluster)).toBe(pid); // the stale lock file is still there

    const again = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(await query(again.url, 'select id from kept')).toEqual([{ id: 1 }]);
    } finally {
      await again.stop();
    }
    expect(pgrep('-f', cluster)).toEqual([]);
  });

  it('stops a postmaster orphaned by a launcher killed with SIGKILL, and keeps the signals to the app', async () => {
    const fixture = path.join(__dirname, 'testing', 'embedded-postgres-child.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = await createInterface({ input: child.stdout! })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]);
    const launched = JSON.parse(line ?? '{}') as { url: string; listeners: Record<string, number> };
    // embedded-postgres hooks these on import to stop and exit(128 + n); shutdown.ts must own them.
    expect(launched.listeners).toEqual({ SIGINT: 0, SIGTERM: 0, SIGHUP: 0, beforeExit: 0 });
    await query(launched.url, 'create table kept (id int primary key); insert into kept values (7)');

    const orphan = await postmasterPid(cluster);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(isAlive(orphan)).toBe(true);

    const db = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(isAlive(orphan)).toBe(false);
      expect(await query(db.url, 'select id from kept')).toEqual([{ id: 7 }]);
    } finally {
      await db.stop();
    }
    expect(pgrep('-f', cluster)).toEqual([]);
  });

  it('refuses a cluster that another live process is still running', async () => {
    const db = await startEmbeddedPostgres({ dataDir, logger });
    try {
      await expect(startEmbeddedPostgres({ dataDir, logger })).rejects.toThrow(/in use by PostgreSQL/);
    } finally {
      await db.stop();
    }
  });
});
