/**
 * The PostgreSQL and Redis a test run uses, found or started once per run by jest's globalSetup
 * (test/global-setup.ts) and stopped by its globalTeardown (test/global-teardown.ts). The workers learn the
 * outcome from the environment, which they inherit from the process that ran globalSetup.
 *
 * PostgreSQL: the server at DATABASE_URL; unset, the local default; nothing answering there either, an embedded
 * PostgreSQL (the one `npm start` uses) in a temporary folder, for this run only.
 * Redis: the server at REDIS_URL; unset, the local default; nothing answering there, a `redis-server` from the
 * PATH on a free port, for this run only; none on the PATH, the tests that need Redis (test/support/redis.ts)
 * do not run, and the run's end says so once.
 * A URL that is set but does not answer, or a default address where something answers but refuses us, fails
 * the run at once with the reason: only "unset, and nothing there" falls back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres';
import { readSettings } from '../../src/platform/embedded-postgres-settings';
import { clearPostmasterLeftovers, isAlive } from '../../src/platform/postmaster-lock';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, REDIS_NOT_RUN_FILE, TEST_ENV } from './test-env';

const RUN_DIR_PREFIX = 'tt-test-run-';
const RUN_FILE = 'run.json';

/** What a later run needs to clean up after this one if it never reached its teardown (Ctrl-C, a kill). */
interface RunRecord {
  ownerPid: number;
  redisPid?: number;
  /** The embedded cluster's folder. */
  cluster?: string;
  /** The folder to remove with a relocated cluster (its home, made for this run's folder alone). */
  clusterHome?: string;
}

const logger = pino({ level: 'warn', base: { name: 'test-services' } }, pino.destination(2));

/** The URL without its password, for messages. */
const redact = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
};

const errorCode = (error: unknown): string | undefined => {
  const { code, errors } = error as { code?: string; errors?: { code?: string }[] };
  return code ?? errors?.[0]?.code;
};

/** Nothing listens there: the only case in which a default address falls back. */
const nothingThere = (error: unknown) => errorCode(error) === 'ECONNREFUSED';

const describeError = (error: unknown): string =>
  (error as Error).message || errorCode(error) || String(error);

const probePostgres = async (url: string): Promise<void> => {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
};

const probeRedis = async (url: string): Promise<void> => {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // A failed connect rejects with "Connection is closed."; the cause (ECONNREFUSED, say) comes as an event.
  let cause: unknown;
  client.on('error', (error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    client.disconnect();
  }
};

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** The first executable `name` in the PATH's folders. */
export const findOnPath = (name: string, searchPath = process.env.PATH ?? ''): string | undefined => {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
};

// --- Redis from the PATH ---

interface StartedRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const launchRedis = (binary: string, port: number, dir: string) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const recent: string[] = [];
    const child = spawn(
      binary,
      // No persistence at all: the data is this run's and goes with it.
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let settled = false;
    const timer = setTimeout(() => fail('not ready after 10 s'), 10_000);
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${binary} did not start (${reason}):\n${recent.join('\n')}`));
    };
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (!settled && line.includes('Ready to accept connections')) {
          settled = true;
          clearTimeout(timer);
          resolve(child);
        }
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exit code ${code}, signal ${signal}`));
  });

const startRedis = async (binary: string, dir: string): Promise<StartedRedis> => {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let child: ChildProcess;
    try {
      child = await launchRedis(binary, port, dir);
    } catch (error) {
      if (attempt >= 3) throw error;
      continue; // most likely the port was taken meanwhile
    }
    const url = `redis://127.0.0.1:${port}`;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    const stop = async () => {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 5000);
      });
      const stopped = await Promise.race([exited.then(() => true), timeout]).finally(() =>
        clearTimeout(timer),
      );
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    };
    try {
      await probeRedis(url);
    } catch (error) {
      await stop();
      throw new Error(`${binary} started on port ${port} but does not answer: ${describeError(error)}`);
    }
    return { url, pid: child.pid ?? 0, stop };
  }
};

// --- the run folder, and what an interrupted run left ---

const writeRunRecord = (runDir: string, record: RunRecord) =>
  writeFile(path.join(runDir, RUN_FILE), `${JSON.stringify(record)}\n`);

const commandLine = async (pid: number): Promise<string> => {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

/**
 * Runs that never reached their teardown (interrupted, killed) leave their folder, and maybe a postmaster and a
 * redis-server: stops those whose run is gone and removes their folders. Runs still going are left alone.
 */
export const clearInterruptedRuns = async (): Promise<void> => {
  const tmp = os.tmpdir();
  let entries: string[];
  try {
    entries = (await readdir(tmp)).filter((name) => name.startsWith(RUN_DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const runDir = path.join(tmp, name);
    try {
      let record: RunRecord | undefined;
      try {
        record = JSON.parse(await readFile(path.join(runDir, RUN_FILE), 'utf8')) as RunRecord;
      } catch {
        record = undefined; // written right after the folder: a folder without it is not ours to judge
      }
      if (!record || isAlive(record.ownerPid)) continue;
      if (record.redisPid && isAlive(record.redisPid)) {
        if ((await commandLine(record.redisPid)).includes('redis-server'))
          process.kill(record.redisPid, 'SIGKILL');
      }
      const dataDir = path.join(runDir, 'postgres');
      const cluster =
        record.cluster ??
        (await readSettings(dataDir).catch(() => undefined))?.cluster ??
        path.join(dataDir, 'postgres');
      if (existsSync(cluster)) {
        await clearPostmasterLeftovers({ cluster, ownerPid: undefined, stopTimeoutMs: 5000, logger });
      }
      if (record.clusterHome) await rm(record.clusterHome, { recursive: true, force: true });
      await rm(runDir, { recursive: true, force: true });
    } catch (error) {
      logger.warn({ runDir, err: error }, 'could not clear up after an interrupted test run');
    }
  }
};

// --- the run ---

export interface TestServices {
  /** One line for the run's output saying what was started, or undefined when the machine's servers serve. */
  summary: string | undefined;
  /** Stops what was started, removes the run folder, and says once which tests did not run for want of Redis. */
  stop(): Promise<void>;
}

const notRunNotice = async (runDir: string, reason: string): Promise<string> => {
  let lines: string[] = [];
  try {
    lines = (await readFile(path.join(runDir, REDIS_NOT_RUN_FILE), 'utf8')).split('\n').filter(Boolean);
  } catch {
    // none of the tests that ran needs Redis
  }
  if (lines.length === 0) return '';
  const unique = [...new Set(lines)].sort();
  return (
    `Tests that need Redis did not run: ${reason}. ` +
    'Install Redis (a redis-server on the PATH is enough: the run starts and stops its own) or set REDIS_URL to run them. ' +
    `Not run (${unique.length}):\n${unique.map((line) => `  - ${line}`).join('\n')}\n`
  );
};

/** Sets DATABASE_URL, REDIS_URL and TEST_ENV in process.env as the workers will need them. */
export const startTestServices = async (): Promise<TestServices> => {
  const env = process.env;
  for (const name of ['DATABASE_URL', 'REDIS_URL']) if (env[name] === '') delete env[name];
  delete env[TEST_ENV.noRedis];

  await clearInterruptedRuns();
  const runDir = await mkdtemp(path.join(os.tmpdir(), RUN_DIR_PREFIX));
  // As root, PostgreSQL runs as `postgres`, which must pass through this folder (never list it) to its cluster.
  await chmod(runDir, 0o711);
  const record: RunRecord = { ownerPid: process.pid };
  await writeRunRecord(runDir, record);
  env[TEST_ENV.runDir] = runDir;

  const stops: (() => Promise<void>)[] = [];
  const started: string[] = [];
  let noRedis: string | undefined;
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping a test service failed'));
    }
  };
  /**
   * The run ends without its teardown (Ctrl-C, a `process.exit`): stop the servers at once, without waiting
   * (PostgreSQL completes its fast shutdown by itself); the next run clears what is left (clearInterruptedRuns).
   */
  const stopNow = () => {
    const kill = (pid: number | undefined, name: NodeJS.Signals) => {
      try {
        if (pid) process.kill(pid, name);
      } catch {
        // gone already
      }
    };
    kill(record.redisPid, 'SIGKILL');
    if (record.cluster) {
      try {
        kill(
          Number.parseInt(readFileSync(path.join(record.cluster, 'postmaster.pid'), 'utf8'), 10),
          'SIGINT',
        );
      } catch {
        // not running
      }
    }
  };
  const hooks = [
    ...(['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map(
      (signal) =>
        [
          signal,
          () => {
            stopNow();
            process.kill(process.pid, signal); // our handler is gone (once): the signal does what it would have
          },
        ] as const,
    ),
    ['exit', stopNow] as const,
  ];

  try {
    // PostgreSQL
    const databaseUrl = env.DATABASE_URL;
    try {
      await probePostgres(databaseUrl ?? DEFAULT_DATABASE_URL);
    } catch (error) {
      if (databaseUrl !== undefined) {
        throw new Error(`PostgreSQL is not reachable at ${redact(databaseUrl)}: ${describeError(error)}`);
      }
      if (!nothingThere(error)) {
        throw new Error(
          `PostgreSQL at ${DEFAULT_DATABASE_URL} answers but the tests cannot use it: ${describeError(error)}. Set DATABASE_URL to a server they may use.`,
        );
      }
      const dataDir = path.join(runDir, 'postgres');
      const db = await startEmbeddedPostgres({ dataDir, database: 'postgres', logger, stopTimeoutMs: 5000 });
      stops.push(async () => {
        await db.stop();
        if (record.clusterHome) await rm(record.clusterHome, { recursive: true, force: true });
      });
      record.cluster = db.cluster;
      // It could not live in the run folder (a TMPDIR PostgreSQL cannot enter): its home goes with the run.
      if (!db.cluster.startsWith(`${runDir}${path.sep}`)) record.clusterHome = path.dirname(db.cluster);
      await writeRunRecord(runDir, record);
      // A throwaway cluster: durability only costs time (every suite creates and drops a database).
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      try {
        for (const setting of ['fsync', 'synchronous_commit', 'full_page_writes']) {
          await admin.query(`alter system set ${setting} = off`);
        }
        await admin.query('select pg_reload_conf()');
      } finally {
        await admin.end();
      }
      // The password travels as PGPASSWORD, which every pg client reads when its settings carry none: knex
      // hides the password of a URL it parses (non-enumerable), so settings copied from it lose it.
      const url = new URL(db.url);
      env.PGPASSWORD = decodeURIComponent(url.password);
      url.password = '';
      env.DATABASE_URL = url.toString();
      started.push(
        `PostgreSQL: an embedded server on 127.0.0.1:${db.port} for this run (DATABASE_URL is not set and nothing answers at 127.0.0.1:5432)`,
      );
    }

    // Redis
    const redisUrl = env.REDIS_URL;
    try {
      await probeRedis(redisUrl ?? DEFAULT_REDIS_URL);
    } catch (error) {
      if (redisUrl !== undefined) {
        throw new Error(`Redis is not reachable at ${redact(redisUrl)}: ${describeError(error)}`);
      }
      if (!nothingThere(error)) {
        throw new Error(
          `Redis at ${DEFAULT_REDIS_URL} answers but the tests cannot use it: ${describeError(error)}. Set REDIS_URL to a server they may use.`,
        );
      }
      const binary = findOnPath('redis-server');
      if (binary) {
        const redis = await startRedis(binary, runDir);
        stops.push(redis.stop);
        record.redisPid = redis.pid;
        await writeRunRecord(runDir, record);
        env.REDIS_URL = redis.url;
        started.push(
          `Redis: ${binary} on 127.0.0.1:${new URL(redis.url).port} for this run (REDIS_URL is not set and nothing answers at 127.0.0.1:6379)`,
        );
      } else {
        noRedis = `REDIS_URL is not set, nothing answers at ${DEFAULT_REDIS_URL}, and there is no redis-server on the PATH`;
        env[TEST_ENV.noRedis] = noRedis;
        started.push('Redis: none (the tests that need it will not run; the end of the run lists them)');
      }
    }
  } catch (error) {
    await stopAll();
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }
  for (const [event, handler] of hooks) process.once(event, handler);

  let stopped: Promise<void> | undefined;
  return {
    summary: started.length ? `Test services: ${started.join('; ')}.` : undefined,
    stop: () => {
      stopped ??= (async () => {
        for (const [event, handler] of hooks) process.removeListener(event, handler);
        await stopAll();
        const notice = noRedis ? await notRunNotice(runDir, noRedis) : '';
        await rm(runDir, { recursive: true, force: true });
        if (notice) process.stdout.write(`\n${notice}`);
      })();
      return stopped;
    },
  };
};

/** The environment for a jest run of its own (a test of this file): none of this run's services leak into it. */
export const withoutTestServices = (source: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const env = { ...source };
  const set = ['DATABASE_URL', 'PGPASSWORD', 'REDIS_URL', 'JEST_WORKER_ID', ...Object.values(TEST_ENV)];
  for (const name of set) delete env[name];
  return env;
};
