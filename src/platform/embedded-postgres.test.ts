import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import pino from 'pino';
import {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  embeddedClusterDir,
  startEmbeddedPostgres,
} from './embedded-postgres';
import { defaultClusterRoots } from './embedded-postgres-location';
import { isAlive } from './postmaster-lock';
import { describeUnless } from '../../test/support/skip';

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

/** Uses a started database, then stops it, whatever happened. */
const stopAfter = async (
  db: EmbeddedPostgres,
  use: (db: EmbeddedPostgres) => Promise<void>,
): Promise<void> => {
  try {
    await use(db);
  } finally {
    await db.stop();
  }
};

const eventually = async (check: () => Promise<void>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(200);
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
    expect(first.cluster).toBe(cluster); // a data folder PostgreSQL can enter keeps its cluster
    expect(isAlive(pid)).toBe(false);
    expect(pgrep('-f', cluster)).toEqual([]);
    expect(pgrep('-P', String(pid))).toEqual([]);

    await stopAfter(await startEmbeddedPostgres({ dataDir, logger }), async (second) => {
      expect(second.port).toBe(first.port);
      expect(await query(second.url, 'select id from kept')).toEqual([{ id: 42 }]);
    });
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

    await stopAfter(await startEmbeddedPostgres({ dataDir, logger }), async (again) => {
      expect(await query(again.url, 'select id from kept')).toEqual([{ id: 1 }]);
    });
    expect(pgrep('-f', cluster)).toEqual([]);
  });

  it('stops a postmaster orphaned by a launcher killed with SIGKILL, and keeps the signals to the app', async () => {
    const fixture = path.join(__dirname, '..', '..', 'test', 'support', 'embedded-postgres-child.ts');
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

    await stopAfter(await startEmbeddedPostgres({ dataDir, logger }), async (db) => {
      expect(isAlive(orphan)).toBe(false);
      expect(await query(db.url, 'select id from kept')).toEqual([{ id: 7 }]);
    });
    expect(pgrep('-f', cluster)).toEqual([]);
  });

  it('refuses a cluster that another live process is still running', async () => {
    await stopAfter(await startEmbeddedPostgres({ dataDir, logger }), async () => {
      await expect(startEmbeddedPostgres({ dataDir, logger })).rejects.toThrow(/in use by PostgreSQL/);
    });
  });
});

/** As root, PostgreSQL runs as this user (the tests' machines run as root: that is the case that matters). */
const postgresAccount = () => ({
  uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
  gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
});

const postgresCanEnter = (dir: string): boolean => {
  try {
    execFileSync('sh', ['-c', 'cd "$1"', 'sh', dir], { ...postgresAccount(), stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const notRoot =
  process.getuid?.() === 0 ? null : 'they need root: only as root does PostgreSQL run as another user';

describeUnless(notRoot, 'embedded PostgreSQL in a data folder below a folder only root may enter', () => {
  let closed: string; // as `mktemp -d` makes it, or root's home: 0700
  let dataDir: string;
  /** Where a relocated cluster of this data folder may live: removed after each test, whatever happened. */
  let homes: string[];
  const removeAfter: string[] = [];
  /** Stopped after each test: a failed expectation must not leave a supervisor restarting a deleted cluster. */
  const started: EmbeddedPostgres[] = [];

  const start = async (options: Partial<EmbeddedPostgresOptions> = {}) => {
    const db = await startEmbeddedPostgres({ dataDir, logger, ...options });
    started.push(db);
    removeAfter.push(path.dirname(db.cluster));
    return db;
  };

  beforeEach(async () => {
    closed = await mkdtemp(path.join(os.tmpdir(), 'tt-closed-'));
    dataDir = path.join(await realpath(closed), 'c', '.data');
    await mkdir(path.dirname(dataDir));
    const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
    homes = defaultClusterRoots().map((root) => path.join(root, key));
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((db) => db.stop()));
    for (const folder of [...homes, ...removeAfter.splice(0)]) {
      for (const pid of pgrep('-f', folder)) process.kill(pid, 'SIGKILL'); // only after a failed test
      await rm(folder, { recursive: true, force: true });
    }
    await rm(closed, { recursive: true, force: true });
  });

  it('keeps its cluster where the postgres user can enter, and its data across a stop and a start', async () => {
    const first = await start();
    expect(postgresCanEnter(dataDir)).toBe(false); // the layout is the one we mean
    expect(first.cluster.startsWith(`${closed}${path.sep}`)).toBe(false);
    expect(homes).toContain(path.dirname(first.cluster));
    expect(postgresCanEnter(first.cluster)).toBe(true);
    expect((await stat(closed)).mode & 0o777).toBe(0o700); // nobody opened it up
    expect(existsSync(`${first.cluster}.pwfile`)).toBe(false);
    await query(first.url, 'create table kept (id int primary key); insert into kept values (42)');
    const pid = await postmasterPid(first.cluster);
    await first.stop();
    expect(isAlive(pid)).toBe(false);
    expect(pgrep('-f', first.cluster)).toEqual([]);

    await stopAfter(await start(), async (second) => {
      expect(second.cluster).toBe(first.cluster);
      expect(await query(second.url, 'select id from kept')).toEqual([{ id: 42 }]);
    });
    expect(pgrep('-f', first.cluster)).toEqual([]);
  });

  it('starts afresh once the data folder is deleted, and refuses one that only lost postgres.json', async () => {
    const settingsFile = path.join(dataDir, 'postgres.json');
    const first = await start();
    await query(first.url, 'create table kept (id int primary key); insert into kept values (1)');
    await first.stop();

    const settings = await readFile(settingsFile, 'utf8');
    await rm(settingsFile);
    await expect(start()).rejects.toThrow(
      /^\S+ holds the cluster of \S+ but \S+postgres\.json \(its password\) is missing: restore it, or delete \S+ to start afresh$/,
    );
    await writeFile(settingsFile, settings, { mode: 0o600 });
    const restored = await start();
    expect(await query(restored.url, 'select id from kept')).toEqual([{ id: 1 }]);
    await restored.stop();

    await rm(dataDir, { recursive: true });
    const warnings: string[] = [];
    await stopAfter(
      await start({
        logger: pino({ level: 'warn' }, { write: (line) => warnings.push(line) }),
      }),
      async (afresh) => {
        expect(afresh.cluster).toBe(first.cluster);
        expect(await query(afresh.url, "select to_regclass('kept')::text as kept")).toEqual([{ kept: null }]);
        await query(afresh.url, 'create table kept (id int primary key)');
      },
    );
    expect(warnings.join('')).toMatch(/removing the PostgreSQL cluster of a data folder that was deleted/);
    expect(warnings.join('')).toContain(first.cluster);

    // Deleted, then made again before the database starts (by whatever else keeps files there): still afresh.
    await rm(dataDir, { recursive: true });
    await mkdir(dataDir);
    await stopAfter(await start(), async (again) => {
      expect(await query(again.url, "select to_regclass('kept')::text as kept")).toEqual([{ kept: null }]);
    });
    expect(pgrep('-f', first.cluster)).toEqual([]);
  });

  it('falls back to the next place the postgres user can enter, and says what to do when there is none', async () => {
    const file = path.join(closed, 'a-file');
    await writeFile(file, '');
    const uncreatable = path.join(file, 'clusters');
    const unreachable = path.join(closed, 'clusters');
    await expect(start({ clusterRoots: [uncreatable, unreachable] })).rejects.toThrow(
      /^the postgres user .* cannot enter \S+ nor \S+ nor \S+: set DATA_DIR to a folder it can enter, or set DATABASE_URL$/,
    );

    const open = await mkdtemp(path.join(os.tmpdir(), 'tt-open-'));
    removeAfter.push(open);
    await chmod(open, 0o711);
    await stopAfter(await start({ clusterRoots: [uncreatable, unreachable, open] }), async (db) => {
      expect(db.cluster.startsWith(`${open}${path.sep}`)).toBe(true);
      expect(await query(db.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    });
  });
});
