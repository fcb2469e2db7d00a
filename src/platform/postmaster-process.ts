/**
 * One postmaster as our child process: started in its own process group (a terminal's Ctrl-C reaches only
 * us, and we stop PostgreSQL last), ready once it accepts a connection, stopped with bounded escalation.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import pg from 'pg';
import type { Account } from './embedded-postgres-cluster';
import type { Logger } from './logger';
import { setTimeout as delay } from 'node:timers/promises';

const READY_TIMEOUT_MS = 60_000;

/** Polls with a real connection: locale-independent, and "ready" then means what callers need. */
const waitUntilAccepting = async (url: string, exited: () => boolean) => {
  for (const deadline = Date.now() + READY_TIMEOUT_MS; ; await delay(100)) {
    if (exited()) return;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      const code = (error as { code?: string }).code;
      // Wrong password or user: waiting will not help.
      if (code === '28P01' || code === '28000') throw error;
      if (Date.now() > deadline) throw new Error(`no connection accepted: ${String(error)}`);
    }
  }
};

/** Starts the postmaster and resolves once `probeUrl` connects; rejects with its last log lines if it exits. */
export const launchPostmaster = (options: {
  binary: string;
  cluster: string;
  port: number;
  account: Account;
  /** A connection string to the `postgres` database, to tell when the server is ready. */
  probeUrl: string;
  logger: Logger;
}): Promise<ChildProcess> =>
  new Promise<ChildProcess>((resolve, reject) => {
    const { logger } = options;
    const recent: string[] = [];
    const child = spawn(
      options.binary,
      // TCP on loopback only; no Unix socket, whose lock file in /tmp would clash with other servers.
      [
        '-D',
        options.cluster,
        '-p',
        String(options.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ],
      { ...options.account, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        recent.push(line);
        if (recent.length > 20) recent.shift();
        logger.debug({ postgres: line });
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      reject(new Error(`embedded PostgreSQL did not start (${reason}):\n${recent.join('\n')}`));
    };
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exit code ${code}, signal ${signal}`));
    waitUntilAccepting(options.probeUrl, () => settled).then(
      () => {
        if (settled) return;
        settled = true;
        resolve(child);
      },
      (error: Error) => {
        child.kill('SIGKILL');
        fail(error.message);
      },
    );
  });

/** Whether the child exited within the time; the timer never outlives the wait (it would hold the process up). */
const exitsWithin = (child: ChildProcess, exited: Promise<unknown>, timeoutMs: number) => {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  return Promise.race([exited.then(() => true), timeout]).finally(() => clearTimeout(timer));
};

/**
 * SIGINT is PostgreSQL's fast shutdown (open transactions roll back, then a checkpoint); SIGQUIT its immediate
 * one (crash recovery on the next start); SIGKILL the last resort.
 */
export const terminatePostmaster = async (
  child: ChildProcess,
  timeoutMs: number,
  logger: Logger,
): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  if (await exitsWithin(child, exited, timeoutMs)) return;
  logger.warn({ timeoutMs }, 'embedded PostgreSQL did not stop in time; forcing it');
  child.kill('SIGQUIT');
  if (await exitsWithin(child, exited, 5000)) return;
  child.kill('SIGKILL');
  await exited;
};
