/**
 * What a `postmaster.pid` left in a PostgreSQL data folder means (nothing, a stale file from a crash, or a
 * postmaster that still runs) and clearing up after a crash before the next start.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from './logger';
import { setTimeout as delay } from 'node:timers/promises';

const execFileAsync = promisify(execFile);

export type PostmasterLock =
  | { state: 'absent' }
  /** The pid is dead, or was reused by a process that is not this folder's postmaster. */
  | { state: 'stale'; pid: number }
  | { state: 'running'; pid: number; parentPid: number };

/** True while a process with this pid exists, even one we may not signal. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

interface ProcessInfo {
  parentPid: number;
  args: string[];
}

/** /proc on Linux (no `ps` in slim images), `ps` elsewhere. */
const processInfo = async (pid: number): Promise<ProcessInfo | undefined> => {
  try {
    if (existsSync('/proc/self/stat')) {
      const [stat, cmdline] = await Promise.all([
        readFile(`/proc/${pid}/stat`, 'utf8'),
        readFile(`/proc/${pid}/cmdline`, 'utf8'),
      ]);
      // The command name in parentheses may itself hold spaces or parentheses: the fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { parentPid: Number(fields[1]), args: cmdline.split('\0').filter(Boolean) };
    }
    const { stdout } = await execFileAsync('ps', ['-o', 'ppid=', '-o', 'command=', '-p', String(pid)]);
    const match = /^\s*(\d+)\s+(.*)$/.exec(stdout.trim());
    return match ? { parentPid: Number(match[1]), args: (match[2] ?? '').split(/\s+/) } : undefined;
  } catch {
    return undefined; // gone between the checks, or not ours to inspect
  }
};

const runsCluster = (args: string[], clusterDir: string): boolean => {
  const executable = path.basename(args[0] ?? '');
  const dataIndex = args.indexOf('-D');
  const dataDir = dataIndex >= 0 ? args[dataIndex + 1] : undefined;
  return executable === 'postgres' && dataDir !== undefined && path.resolve(dataDir) === clusterDir;
};

export const inspectPostmasterLock = async (clusterDir: string): Promise<PostmasterLock> => {
  let content: string;
  try {
    content = await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch {
    return { state: 'absent' };
  }
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return { state: 'stale', pid: 0 };
  const info = isAlive(pid) ? await processInfo(pid) : undefined;
  if (!info || !runsCluster(info.args, path.resolve(clusterDir))) return { state: 'stale', pid };
  return { state: 'running', pid, parentPid: info.parentPid };
};

const removePostmasterLock = (clusterDir: string): Promise<void> =>
  rm(path.join(clusterDir, 'postmaster.pid'), { force: true });

/** Fast, then immediate shutdown, then SIGKILL, for a postmaster that is not our child: we can only poll it. */
const terminatePid = async (pid: number, timeoutMs: number) => {
  const until = async (ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await delay(100)) {
      if (!isAlive(pid)) return true;
    }
    return false;
  };
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGINT');
  if (await until(timeoutMs)) return;
  signal('SIGQUIT');
  if (await until(5000)) return;
  signal('SIGKILL');
  await until(5000);
};

/**
 * A crash leaves `postmaster.pid` behind, and a crash of the app may leave the postmaster itself running,
 * orphaned. Stops such an orphan and removes a stale file; refuses a cluster its live launcher still uses.
 */
export const clearPostmasterLeftovers = async (options: {
  cluster: string;
  /** The process that launched the cluster's postmaster last time. */
  ownerPid: number | undefined;
  stopTimeoutMs: number;
  logger: Logger;
}): Promise<void> => {
  const { cluster, ownerPid: owner, logger } = options;
  const lock = await inspectPostmasterLock(cluster);
  if (lock.state === 'running') {
    if (owner !== undefined && lock.parentPid === owner && isAlive(owner)) {
      throw new Error(
        `${cluster} is in use by PostgreSQL (pid ${lock.pid}) started by process ${owner}, which still runs`,
      );
    }
    logger.warn(
      { postmasterPid: lock.pid },
      'stopping an embedded PostgreSQL left running by an earlier run',
    );
    await terminatePid(lock.pid, options.stopTimeoutMs);
  }
  // Re-read: a forced stop leaves the file too, and postgres would refuse a pid that is alive but not its own.
  const after = lock.state === 'absent' ? lock : await inspectPostmasterLock(cluster);
  if (after.state === 'stale') {
    logger.warn({ postmasterPid: after.pid }, 'removing the postmaster.pid left by a crash');
    await removePostmasterLock(cluster);
  }
};
