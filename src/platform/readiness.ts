/**
 * `/readyz`: every dependency checked at once, each bounded by a timeout, so the answer comes quickly even
 * when a dependency hangs instead of failing.
 */
import type { Redis } from 'ioredis';

export type ReadinessCheck = () => Promise<void>;

/** A dependency's state. Never its error text: `/readyz` is public, and errors name hosts, users and paths. */
export type DependencyState = 'ok' | 'down' | 'timeout';

export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, DependencyState>;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
}

export const createReadiness = (
  checks: Record<string, ReadinessCheck>,
  options: {
    timeoutMs?: number;
    /** Told why a dependency is not ready (for the log, which is where the reason belongs). */
    onFailure?: (name: string, error: unknown) => void;
  } = {},
): Readiness => {
  const timeoutMs = options.timeoutMs ?? 1000;
  // A check still running from an earlier probe is awaited again rather than started anew, so a hung
  // dependency probed every few seconds does not pile up connections or queued commands.
  const inFlight = new Map<string, Promise<void>>();

  const runOne = async (name: string, check: ReadinessCheck): Promise<DependencyState> => {
    let running = inFlight.get(name);
    if (!running) {
      running = Promise.resolve()
        .then(check)
        .finally(() => inFlight.delete(name));
      inFlight.set(name, running);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const state = await Promise.race([running.then(() => 'ok' as const), timeout]);
      if (state === 'timeout') options.onFailure?.(name, new Error(`no answer within ${timeoutMs} ms`));
      return state;
    } catch (error) {
      options.onFailure?.(name, error);
      return 'down';
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async check() {
      const entries = Object.entries(checks);
      const results = await Promise.all(entries.map(([name, check]) => runOne(name, check)));
      const report = Object.fromEntries(entries.map(([name], i) => [name, results[i] ?? 'down']));
      return { ok: results.every((result) => result === 'ok'), checks: report };
    },
  };
};

/** A round trip through the pool: a connection can be had and the server answers. */
export const postgresCheck =
  (pool: { query(sql: string): Promise<unknown> }): ReadinessCheck =>
  async () => {
    await pool.query('select 1');
  };

/** Fails at once while ioredis is reconnecting (a PING would only queue), else a PING round trip. */
export const redisCheck =
  (redis: Pick<Redis, 'status' | 'ping'>): ReadinessCheck =>
  async () => {
    if (redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end') {
      throw new Error(`redis connection is ${redis.status}`);
    }
    const reply = await redis.ping();
    if (reply !== 'PONG') throw new Error(`unexpected PING reply ${String(reply)}`);
  };
