import { Client } from 'pg';
import type { RunnerLogger } from './logger';
import { type PgConnection, withApplicationName } from './pg-connection';
import { sleep } from './sleep';

/** Held leadership: `lost` aborts the moment the lock's session is gone; `release` gives it up cleanly. */
export interface Lease {
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface LeaderLockOptions {
  connection: PgConnection;
  /** The lock's name; hashed to the 64-bit advisory lock key inside PostgreSQL. */
  name: string;
  /** How often a standby tries to take the lock. */
  retryMs?: number;
  /** How often the holder checks that its session is still alive (a dead network may not reset the socket). */
  heartbeatMs?: number;
  logger: RunnerLogger;
  /** What its log lines call the lock's holder (default `projector`). */
  label?: string;
}

const KEY = 'hashtextextended($1, 0)';

/**
 * A PostgreSQL session-level advisory lock on a dedicated connection: the session holding it is the leader, and
 * PostgreSQL frees it when that session ends, whether by a clean unlock, a crash, or pg_terminate_backend.
 */
export class LeaderLock {
  private readonly retryMs: number;
  private readonly heartbeatMs: number;

  constructor(private readonly options: LeaderLockOptions) {
    this.retryMs = options.retryMs ?? 500;
    this.heartbeatMs = options.heartbeatMs ?? 2000;
  }

  /** Waits (retrying every `retryMs`) until this process holds the lock; null if `signal` aborts first. */
  async acquire(signal: AbortSignal): Promise<Lease | null> {
    let client: Client | null = null;
    let broken = false;
    while (!signal.aborted) {
      try {
        if (!client || broken) {
          if (client) await client.end().catch(() => undefined);
          broken = false;
          const fresh = new Client(withApplicationName(this.options.connection, `${this.options.name}-lock`));
          fresh.on('error', () => {
            broken = true;
          });
          client = fresh;
          await fresh.connect();
        }
        const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${KEY}) AS ok`, [
          this.options.name,
        ]);
        if (rows[0]?.ok) {
          if (signal.aborted) {
            await client.end().catch(() => undefined);
            return null;
          }
          return this.lease(client);
        }
      } catch (error) {
        broken = true;
        this.options.logger.warn(
          { err: error },
          `${this.options.label ?? 'projector'} lock: cannot reach PostgreSQL, retrying`,
        );
      }
      await sleep(this.retryMs, signal);
    }
    if (client) await client.end().catch(() => undefined);
    return null;
  }

  private lease(client: Client): Lease {
    const controller = new AbortController();
    const lose = (reason: string) => {
      if (controller.signal.aborted) return;
      const label = this.options.label ?? 'projector';
      this.options.logger.error({ reason }, `${label} lock lost`);
      controller.abort(new Error(`${label} lock lost: ${reason}`));
      clearInterval(heartbeat);
      void client.end().catch(() => undefined);
    };
    client.removeAllListeners('error');
    client.on('error', (error) => lose(error.message));
    client.on('end', () => lose('connection ended'));
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return lose('heartbeat timed out');
      beating = true;
      client.query('SELECT 1').then(
        () => {
          beating = false;
        },
        (error: Error) => lose(error.message),
      );
    }, this.heartbeatMs);
    heartbeat.unref();
    let released = false;
    return {
      lost: controller.signal,
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        client.removeAllListeners('end');
        client.removeAllListeners('error');
        client.on('error', () => undefined);
        if (!controller.signal.aborted) {
          await client.query(`SELECT pg_advisory_unlock(${KEY})`, [this.options.name]).catch(() => undefined);
        }
        await client.end().catch(() => undefined);
      },
    };
  }
}
