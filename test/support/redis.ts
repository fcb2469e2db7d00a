/**
 * For the tests that need Redis: its URL, and `describe`/`it` that run only when the run has a Redis. Without
 * one (no REDIS_URL, nothing on the default address, no redis-server on the PATH: see test-services.ts) they are
 * skipped, never passed, and the run's end says once which did not run and why.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_REDIS_URL, REDIS_NOT_RUN_FILE, TEST_ENV } from './test-env';

/** REDIS_URL: the machine's server, or the one this run started. */
export const redisUrl = (): string => process.env.REDIS_URL || DEFAULT_REDIS_URL;

/** Why this run has no Redis, or undefined when it has one. */
export const noRedisReason = (): string | undefined => process.env[TEST_ENV.noRedis] || undefined;

const recordNotRun = (title: string) => {
  const testPath = expect.getState().testPath ?? 'unknown file';
  const line = `${path.relative(process.cwd(), testPath)}: ${title}`;
  const runDir = process.env[TEST_ENV.runDir];
  // Said where it happens, and gathered for the run's end (test-services.ts prints them once, with the remedy).
  process.stdout.write(`Did not run (${noRedisReason()}): ${line}\n`);
  if (runDir) appendFileSync(path.join(runDir, REDIS_NOT_RUN_FILE), `${line}\n`);
};

/** `describe` for a suite that needs Redis. */
export const describeWithRedis = (title: string, fn: () => void): void => {
  if (noRedisReason()) {
    recordNotRun(title);
    describe.skip(title, fn);
  } else {
    describe(title, fn);
  }
};

/** `it` for a test that needs Redis, in a suite that otherwise does not. */
export const itWithRedis = (title: string, fn: () => Promise<unknown>, timeout?: number): void => {
  if (noRedisReason()) {
    recordNotRun(title);
    it.skip(title, fn, timeout);
  } else {
    it(title, fn, timeout);
  }
};
