/** Child Node processes the bench starts (the app, the baselines), and what it reads of them (RSS). */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

/** Runs TypeScript the way `npm start` does: node with tsx's loader. */
export const TSX = ['--import', 'tsx'];

export interface NodeProcess {
  name: string;
  pid: number;
  /** The ready line's match. */
  ready: RegExpMatchArray;
  /** The last 64 KiB of its output, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Script path from the repository root. */
  script: string;
  /** Node options before the script (`--expose-gc`). */
  nodeArgs?: string[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** A line of its output that says it is ready. */
  ready: RegExp;
  timeoutMs?: number;
  /** Where to keep its whole output. */
  logFile?: string;
}

const TAIL_BYTES = 64 * 1024;

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

const stopper =
  (child: ChildProcess) =>
  async (graceMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited(child);
    clearTimeout(timer);
  };

/** Collects output, writes it to the log file, and resolves with the ready line's match. */
const watchOutput = (child: ChildProcess, options: StartOptions, log: WriteStream | null) => {
  let tail = '';
  const ready = new Promise<RegExpMatchArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log?.write(chunk);
      tail = (tail + chunk.toString()).slice(-TAIL_BYTES);
      const match = options.ready.exec(tail);
      if (match) resolve(match);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${options.name} exited (${code}) before it was ready:\n${tail.slice(-4000)}`)),
    );
  });
  return { ready, tail: () => tail };
};

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not ready after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

export const startNode = async (options: StartOptions): Promise<NodeProcess> => {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...TSX, options.script, ...(options.args ?? [])],
    {
      cwd: repoRoot,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = options.logFile ? createWriteStream(options.logFile) : null;
  child.once('exit', () => log?.end());
  const output = watchOutput(child, options, log);
  const stop = stopper(child);
  try {
    const ready = await withTimeout(output.ready, options.timeoutMs ?? 60_000, options.name);
    return { name: options.name, pid: child.pid ?? -1, ready, tail: output.tail, stop };
  } catch (error) {
    await stop(2000);
    throw error;
  }
};

/** A process's resident set size in bytes (Linux `/proc`); NaN where there is no `/proc`. */
export const rssOf = (pid: number): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
};

/** The soft limit on open files of this process (children inherit it); NaN where it cannot be read. */
export const openFileLimit = (): number => {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = /Max open files\s+(\d+|unlimited)/.exec(limits)?.[1];
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return Number.NaN;
  }
};
