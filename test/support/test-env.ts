/** What the run's globalSetup (test-services.ts) tells the suites through the environment, and the defaults. */

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Besides DATABASE_URL and REDIS_URL, which globalSetup sets when it started the servers. */
export const TEST_ENV = {
  /** This run's folder: the services' data, and the record of the tests that did not run. */
  runDir: 'TT_TEST_RUN_DIR',
  /** Set, with the reason, when there is no Redis for this run: the tests that need it do not run. */
  noRedis: 'TT_TEST_NO_REDIS',
} as const;

/** In the run folder: one line per test or suite that did not run for want of Redis. */
export const REDIS_NOT_RUN_FILE = 'redis-not-run';
