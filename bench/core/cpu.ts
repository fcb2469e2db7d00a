/**
 * Where a request's CPU goes: the CPU time of the server process, of PostgreSQL's processes and of the bench process
 * (the load generator) over a step, read from `/proc` (Linux; elsewhere every figure is null), divided by the
 * requests answered. Unlike a rate, CPU per request hardly depends on what else the machine runs, so it shows what a
 * change saved even on a busy machine, and what bounds the rate on an idle one (cores ÷ CPU per request).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** User + system CPU of one process in ms; 0 when it is gone or `/proc` is not there. */
const processCpuMs = (pid: number): number => {
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
};

/** Every PostgreSQL server process on this machine (the server is local in every setup the bench supports). */
const postgresPids = (): number[] => {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      return false;
    }
  });
};

/** CPU ms per request of each side over one step; null without `/proc`. */
export interface CpuPerRequest {
  server: number | null;
  postgres: number | null;
  generator: number | null;
}

const hasProc = (): boolean => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs `step` and says how much CPU the server (`serverPid`), PostgreSQL and this process spent per request it
 * answered (`requests(result)`). PostgreSQL's processes are those alive at the end (connections are pooled and
 * live through a step; one that ended midway is not counted, one that started midway counts whole).
 */
export const cpuPerRequest = async <T>(
  serverPid: number,
  step: () => Promise<T>,
  requests: (result: T) => number,
): Promise<{ result: T; cpu: CpuPerRequest }> => {
  if (!hasProc()) {
    return { result: await step(), cpu: { server: null, postgres: null, generator: null } };
  }
  const pgBefore = new Map(postgresPids().map((pid) => [pid, processCpuMs(pid)]));
  const serverBefore = processCpuMs(serverPid);
  const selfBefore = process.cpuUsage();
  const result = await step();
  const self = process.cpuUsage(selfBefore);
  const server = processCpuMs(serverPid) - serverBefore;
  let postgres = 0;
  for (const pid of postgresPids()) postgres += processCpuMs(pid) - (pgBefore.get(pid) ?? 0);
  const n = Math.max(1, requests(result));
  return {
    result,
    cpu: { server: server / n, postgres: postgres / n, generator: (self.user + self.system) / 1000 / n },
  };
};
