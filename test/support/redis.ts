/**
 * For the tests that need Redis: its URL, and `describe`/`it` that run only when the run has a Redis. Without
 * one (no REDIS_URL, nothing on the default address, no redis-server on the PATH: see test-services.ts) they are
 * skipped, never passed (each says why where it is skipped: skip.ts), and the run's end says once which did not
 * run and why.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { describeUnless, itUnless, notRunLine } from './skip';
import { DEFAULT_REDIS_URL, REDIS_NOT_RUN_FILE, TEST_ENV } from './test-env';

/** REDIS_URL: the machine's server, or the one this run started. */
export const redisUrl = (): string => process.env.REDIS_URL || DEFAULT_REDIS_URL;

/** Why this run has no Redis, or undefined when it has one. */
export const noRedisReason = (): string | undefined => process.env[TEST_ENV.noRedis] || undefined;

/** Gathered for the run's end, where test-services.ts lists once what did not run, with the remedy. */
const gatherNotRun = (title: string) => {
  const runDir = process.env[TEST_ENV.runDir];
  if (noRedisReason() && runDir)
    appendFileSync(path.join(runDir, REDIS_NOT_RUN_FILE), `${notRunLine(title)}\n`);
};

/** `describe` for a suite that needs Redis. */
export const describeWithRedis = (title: string, fn: () => void): void => {
  gatherNotRun(title);
  describeUnless(noRedisReason(), title, fn);
};

/** `it` for a test that needs Redis, in a suite that otherwise does not. */
export const itWithRedis = (title: string, fn: () => Promise<unknown>, timeout?: number): void => {
  gatherNotRun(title);
  itUnless(noRedisReason(), title, fn, timeout);
};
