/**
 * The embedded default's database: a PostgreSQL cluster in `<dataDir>/postgres` (or, when PostgreSQL cannot
 * enter the data folder, a home of its own: see embedded-postgres-location.ts), initialised on first use,
 * run as a child process in its own process group (so a terminal's Ctrl-C reaches only us, and we stop it
 * last), restarted if it dies, and recovered after a crash of either it or us.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import {
  type Account,
  type Binaries,
  initialiseCluster,
  reachableBinaries,
  resolveBinaries,
  runAccount,
  SUPERUSER,
} from './embedded-postgres-cluster';
import { defaultClusterRoots, embeddedClusterDir, placeCluster } from './embedded-postgres-location';
import { type EmbeddedSettings, makeDataDir, writeSettings } from './embedded-postgres-settings';
import type { Logger } from './logger';
import { clearPostmasterLeftovers } from './postmaster-lock';
import { launchPostmaster, terminatePostmaster } from './postmaster-process';

export interface EmbeddedPostgresOptions {
  /**
   * The app's data folder: the cluster lives in `<dataDir>/postgres` (unless PostgreSQL cannot enter it), its
   * password, port and any other location in `<dataDir>/postgres.json`.
   */
  dataDir: string;
  /** A fixed port. Without it: the previous start's port when it is free (a stable URL), else any free port. */
  port?: number;
  /** The application database, created when missing. */
  database?: string;
  logger: Logger;
  /** How long `stop()` lets PostgreSQL shut down cleanly before forcing it. */
  stopTimeoutMs?: number;
  /** Where a cluster PostgreSQL cannot keep in the data folder may go, best first. For tests. */
  clusterRoots?: readonly string[];
}

export interface EmbeddedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>`: recomputed on each start, never assume it. */
  url: string;
  port: number;
  /** The cluster's folder: `embeddedClusterDir(dataDir)` unless it had to live elsewhere. */
  cluster: string;
  /** Fast shutdown (open transactions roll back, then a checkpoint). Idempotent. */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 5;
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;

export { embeddedClusterDir };

// --- ports ---

const listenOnce = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
    });
  });

const isPortFree = (port: number) =>
  listenOnce(port).then(
    () => true,
    () => false,
  );
const freePort = () => listenOnce(0);

const adminUrl = (password: string, port: number, database: string) =>
  `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

const ensureDatabase = async (url: string, database: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) {
      await client
        .query(`create database ${client.escapeIdentifier(database)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // created meanwhile by another caller
        });
    }
  } finally {
    await client.end();
  }
};

/** A cluster ready to launch: in place, initialised, and where it lives recorded. */
interface PreparedCluster {
  dataDir: string;
  cluster: string;
  settings: EmbeddedSettings;
  binaries: Binaries;
  account: Account;
}

const prepareCluster = async (
  options: EmbeddedPostgresOptions,
  stopTimeoutMs: number,
): Promise<PreparedCluster> => {
  const { logger } = options;
  const dataDir = path.resolve(options.dataDir);
  const asRoot = process.getuid?.() === 0;
  const existed = existsSync(dataDir);
  await makeDataDir(dataDir, asRoot);
  const account = await runAccount(asRoot);
  const placed = await placeCluster({
    dataDir,
    existed,
    account,
    roots: options.clusterRoots ?? defaultClusterRoots(),
    stopTimeoutMs,
    logger,
  });
  const { cluster } = placed;
  let settings = placed.settings;
  const binaries = await reachableBinaries(resolveBinaries(), account);
  // initdb refuses a folder that is not empty: a cluster that exists is only started.
  if (!existsSync(path.join(cluster, 'PG_VERSION'))) {
    logger.info({ cluster }, 'initialising the embedded PostgreSQL cluster');
    await initialiseCluster({ binaries, cluster, password: settings.password, account, logger });
  }
  // Recorded once the cluster exists, so a recorded cluster that is missing means it was lost.
  if (cluster !== embeddedClusterDir(dataDir) && settings.cluster !== cluster) {
    settings = { ...settings, cluster };
    await writeSettings(dataDir, settings);
  }
  return { dataDir, cluster, settings, binaries, account };
};

/** The postmaster of one prepared cluster: launched, its leftovers cleared, terminated. */
interface Postmaster {
  launch(port: number): Promise<ChildProcess>;
  clearLeftovers(): Promise<void>;
  terminate(child: ChildProcess): Promise<void>;
}

const postmasterOf = (prepared: PreparedCluster, stopTimeoutMs: number, logger: Logger): Postmaster => {
  const { binaries, cluster, account, settings } = prepared;
  return {
    launch: (port) =>
      launchPostmaster({
        binary: binaries.postgres,
        cluster,
        port,
        account,
        probeUrl: adminUrl(settings.password, port, 'postgres'),
        logger,
      }),
    clearLeftovers: () =>
      clearPostmasterLeftovers({ cluster, ownerPid: settings.ownerPid, stopTimeoutMs, logger }),
    terminate: (child) => terminatePostmaster(child, stopTimeoutMs, logger),
  };
};

/** A fixed port, else the previous start's port when it is free (a stable URL), else any free port. */
const choosePort = async (fixed: number | undefined, settings: EmbeddedSettings): Promise<number> =>
  fixed ??
  (settings.port !== undefined && (await isPortFree(settings.port)) ? settings.port : await freePort());

/** Retries cover a port taken meanwhile and the old postmaster's children still holding shared memory. */
const launchWithRetries = async (
  postmaster: Postmaster,
  fixedPort: number | undefined,
  settings: EmbeddedSettings,
  logger: Logger,
): Promise<{ child: ChildProcess; port: number }> => {
  let port = await choosePort(fixedPort, settings);
  for (let attempt = 1; ; attempt++) {
    try {
      return { child: await postmaster.launch(port), port };
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error;
      logger.warn({ err: error, attempt }, 'embedded PostgreSQL failed to start; retrying');
      await delay(500 * attempt);
      await postmaster.clearLeftovers();
      if (fixedPort === undefined && !(await isPortFree(port))) port = await freePort();
    }
  }
};

/**
 * Supervision: a postmaster that dies under us comes back on the same port, so pools reconnect by themselves.
 * Returns the stop: fast shutdown, idempotent.
 */
const supervise = (
  postmaster: Postmaster,
  started: { child: ChildProcess; port: number },
  cluster: string,
  logger: Logger,
): (() => Promise<void>) => {
  const { port } = started;
  let current: ChildProcess | undefined = started.child;
  let stopping = false;
  let restartDelayMs = FIRST_RESTART_DELAY_MS;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;
  const restart = async () => {
    try {
      await postmaster.clearLeftovers();
      const child = await postmaster.launch(port);
      if (stopping) return await postmaster.terminate(child);
      current = child;
      watch(child);
      restartDelayMs = FIRST_RESTART_DELAY_MS;
      logger.info({ port }, 'embedded PostgreSQL restarted');
    } catch (error) {
      logger.error({ err: error }, 'restarting the embedded PostgreSQL failed');
      restartDelayMs = Math.min(restartDelayMs * 2, MAX_RESTART_DELAY_MS);
      scheduleRestart();
    }
  };
  const scheduleRestart = () => {
    if (stopping) return;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      restarting = restart().finally(() => {
        restarting = undefined;
      });
    }, restartDelayMs);
  };
  const watch = (child: ChildProcess) =>
    child.once('exit', (code, signal) => {
      if (stopping || child !== current) return;
      current = undefined;
      logger.error({ code, signal, restartInMs: restartDelayMs }, 'embedded PostgreSQL exited unexpectedly');
      scheduleRestart();
    });
  watch(started.child);

  // If we exit without stop() (a crash, a shutdown timeout), PostgreSQL still gets its fast shutdown.
  const onProcessExit = () => current?.kill('SIGINT');
  process.on('exit', onProcessExit);

  let stopped: Promise<void> | undefined;
  return () => {
    stopped ??= (async () => {
      stopping = true;
      clearTimeout(restartTimer);
      await restarting;
      if (current) await postmaster.terminate(current);
      current = undefined;
      process.removeListener('exit', onProcessExit);
      logger.info({ cluster }, 'embedded PostgreSQL stopped');
    })();
    return stopped;
  };
};

export const startEmbeddedPostgres = async (options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> => {
  const { logger } = options;
  const database = options.database ?? 'team_tracker';
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const prepared = await prepareCluster(options, stopTimeoutMs);
  const { dataDir, cluster, settings } = prepared;
  const postmaster = postmasterOf(prepared, stopTimeoutMs, logger);

  await postmaster.clearLeftovers();
  const started = await launchWithRetries(postmaster, options.port, settings, logger);
  const { port } = started;
  await writeSettings(dataDir, { ...settings, port, ownerPid: process.pid });
  const url = adminUrl(settings.password, port, database);
  try {
    await ensureDatabase(adminUrl(settings.password, port, 'postgres'), database);
  } catch (error) {
    await postmaster.terminate(started.child);
    throw error;
  }
  const stop = supervise(postmaster, started, cluster, logger);
  logger.info({ port, cluster, database }, 'embedded PostgreSQL ready');
  return { url, port, cluster, stop };
};
