/** The machine a run measured: what `latest.json` and the README's table name next to the figures. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openFileLimit, repoRoot } from './processes';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  redis: string;
  gitCommit: string;
  /** Uncommitted changes in the working tree when it ran. */
  gitDirty: boolean;
  openFileLimit: number;
}

const git = (...args: string[]): string => {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

const postgresVersion = async (url: string): Promise<string> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (
      (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ??
      'unknown'
    );
  } finally {
    await client.end();
  }
};

/** Redis's version, or why there is none (rows that need Redis then fail on their own). */
const redisVersion = async (url: string): Promise<string> => {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } catch (error) {
    return `unavailable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
};

export const describeMachine = async (databaseUrl: string, redisUrl: string): Promise<Machine> => ({
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  node: process.version,
  postgres: await postgresVersion(databaseUrl),
  redis: await redisVersion(redisUrl),
  gitCommit: git('rev-parse', 'HEAD'),
  gitDirty: git('status', '--porcelain') !== '',
  openFileLimit: openFileLimit(),
});

export const machineLine = (m: Machine): string =>
  `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres}; ` +
  `Redis ${m.redis}; commit ${m.gitCommit.slice(0, 10)}${m.gitDirty ? ' (with uncommitted changes)' : ''}`;
