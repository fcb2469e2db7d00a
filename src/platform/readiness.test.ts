import { Redis } from 'ioredis';
import pg from 'pg';
import { createReadiness, postgresCheck, redisCheck } from './readiness';
import { itWithRedis, redisUrl } from '../../test/support/redis';
import { DEFAULT_DATABASE_URL } from '../../test/support/test-env';

const DATABASE_URL = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const REDIS_URL = redisUrl();
// Nothing listens on port 1: connections are refused at once.
const UNREACHABLE_POSTGRES = 'postgres://postgres@127.0.0.1:1/postgres';

const never = () => new Promise<void>(() => undefined);

describe('readiness', () => {
  it('is ok when every check passes', async () => {
    const readiness = createReadiness({ a: async () => undefined, b: async () => undefined });
    expect(await readiness.check()).toEqual({ ok: true, checks: { a: 'ok', b: 'ok' } });
  });

  it('names the failing check by its state only, tells the reason to the log, and reports the others', async () => {
    const failures: [string, string][] = [];
    const readiness = createReadiness(
      {
        database: async () => undefined,
        redis: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        },
      },
      { onFailure: (name, error) => failures.push([name, (error as Error).message]) },
    );
    expect(await readiness.check()).toEqual({ ok: false, checks: { database: 'ok', redis: 'down' } });
    expect(failures).toEqual([['redis', 'connect ECONNREFUSED 127.0.0.1:6379']]);
  });

  it('answers within the timeout when a dependency hangs', async () => {
    const readiness = createReadiness(
      { database: async () => undefined, eventstore: never },
      { timeoutMs: 100 },
    );
    const started = Date.now();
    const report = await readiness.check();
    expect(Date.now() - started).toBeLessThan(500);
    expect(report).toEqual({ ok: false, checks: { database: 'ok', eventstore: 'timeout' } });
  });

  it('does not start a hung check again while it is still running', async () => {
    const hung = jest.fn(never);
    const readiness = createReadiness({ hung }, { timeoutMs: 20 });
    await readiness.check();
    await readiness.check();
    expect(hung).toHaveBeenCalledTimes(1);
  });

  it('runs a finished check afresh on the next probe', async () => {
    const check = jest.fn(async () => undefined);
    const readiness = createReadiness({ check });
    await readiness.check();
    await readiness.check();
    expect(check).toHaveBeenCalledTimes(2);
  });

  describe('postgresCheck', () => {
    it('passes against the running server', async () => {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
      try {
        expect(await createReadiness({ postgres: postgresCheck(pool) }).check()).toEqual({
          ok: true,
          checks: { postgres: 'ok' },
        });
      } finally {
        await pool.end();
      }
    });

    it('fails against a port nobody listens on', async () => {
      const pool = new pg.Pool({ connectionString: UNREACHABLE_POSTGRES, max: 1 });
      pool.on('error', () => undefined);
      try {
        const report = await createReadiness({ postgres: postgresCheck(pool) }).check();
        expect(report.ok).toBe(false);
        expect(report.checks.postgres).toBe('down');
      } finally {
        await pool.end();
      }
    });
  });

  describe('redisCheck', () => {
    itWithRedis('passes against the running server', async () => {
      const redis = new Redis(REDIS_URL);
      try {
        expect(await createReadiness({ redis: redisCheck(redis) }).check()).toEqual({
          ok: true,
          checks: { redis: 'ok' },
        });
      } finally {
        redis.disconnect();
      }
    });

    it('fails at once while the client reconnects to a port nobody listens on', async () => {
      // disconnectTimeout: ioredis otherwise holds the process up 2 s after disconnect() while it reconnects.
      const redis = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 50, disconnectTimeout: 50 });
      const refused = new Promise((resolve) => redis.once('reconnecting', resolve));
      redis.on('error', () => undefined);
      try {
        await refused;
        const started = Date.now();
        const report = await createReadiness({ redis: redisCheck(redis) }).check();
        expect(Date.now() - started).toBeLessThan(100);
        expect(report).toEqual({ ok: false, checks: { redis: 'down' } });
      } finally {
        redis.disconnect();
      }
    });
  });
});
