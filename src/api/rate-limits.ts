import type { Knex } from 'knex';
/**
 * Throttling of sign-in and sign-up, shared by every API process: per account across addresses (password
 * spraying from many addresses at one account), per address across accounts (one address trying every account),
 * and registrations per address. Counts live in Redis when the deployment has it, else in PostgreSQL.
 */
import type { Request, RequestHandler, Response } from 'express';
import {
  type ClientRateLimitInfo,
  ipKeyGenerator,
  type Options,
  rateLimit,
  type Store,
} from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { sendProblem } from './problem';
import { sqlMigration } from '../shared/sql-migration';

export interface RateLimits {
  /** Failed logins per account (username, any address) per 15 minutes. */
  loginPerAccount: number;
  /** Failed logins per client address (any account) per 15 minutes. */
  loginPerAddress: number;
  /** Registrations per client address per hour. */
  registerPerAddress: number;
}

/** Makes the store of one limiter; `prefix` keeps the limiters' counters apart. */
export type RateLimitStores = (prefix: string) => Store;

export const rateLimitsMigration = sqlMigration(
  `
      CREATE TABLE rate_limits (
        key text PRIMARY KEY,
        hits integer NOT NULL,
        reset_at timestamptz NOT NULL
      );
      CREATE INDEX rate_limits_reset ON rate_limits (reset_at);
    `,
  'DROP TABLE IF EXISTS rate_limits',
);

/** Fixed windows in one table: a counter whose window ended starts again at 1. */
class PostgresStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(
    private readonly knex: Knex,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = await this.knex('rate_limits')
      .select('hits', 'reset_at')
      .where({ key: this.prefix + key })
      .where('reset_at', '>', this.knex.fn.now())
      .first();
    return row ? { totalHits: row.hits, resetTime: row.reset_at } : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const { rows } = await this.knex.raw<{ rows: { hits: number; reset_at: Date }[] }>(
      `INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES (?, 1, now() + ?::int * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
         reset_at = CASE WHEN r.reset_at <= now() THEN excluded.reset_at ELSE r.reset_at END
       RETURNING hits, reset_at`,
      [this.prefix + key, this.windowMs],
    );
    return { totalHits: rows[0]!.hits, resetTime: rows[0]!.reset_at };
  }

  async decrement(key: string): Promise<void> {
    await this.knex('rate_limits')
      .where({ key: this.prefix + key })
      .where('reset_at', '>', this.knex.fn.now())
      .update({ hits: this.knex.raw('greatest(hits - 1, 0)') });
  }

  async resetKey(key: string): Promise<void> {
    await this.knex('rate_limits')
      .where({ key: this.prefix + key })
      .delete();
  }
}

export const postgresRateLimitStores =
  (knex: Knex): RateLimitStores =>
  (prefix) =>
    new PostgresStore(knex, prefix);

/** Counters whose window ended (for the cleanup job); returns how many went. */
export const purgeExpiredRateLimits = (knex: Knex, before: Date): Promise<number> =>
  knex('rate_limits').where('reset_at', '<', before).delete();

/** Counters in Redis; `keyPrefix` (REDIS_PREFIX) goes before each limiter's own prefix. */
export const redisRateLimitStores =
  (redis: Redis, keyPrefix = ''): RateLimitStores =>
  (prefix) =>
    new RedisStore({
      prefix: `${keyPrefix}${prefix}`,
      sendCommand: (command: string, ...args: string[]) =>
        redis.call(command, ...args) as Promise<number | string | (number | string)[]>,
    });

const WINDOW_15_MINUTES = 15 * 60 * 1000;
const WINDOW_HOUR = 60 * 60 * 1000;

/** The parsed body the route validated before any limiter runs. */
const parsedBody = (res: Response): Record<string, unknown> =>
  ((res.locals.input as { body?: Record<string, unknown> } | undefined)?.body ?? {}) as Record<
    string,
    unknown
  >;

const addressOf = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');

/**
 * The account a login names, as the credentials lookup matches it (PostgreSQL's `lower()`, one code point at a
 * time), so that every spelling of one account counts against one limit: `İris` and `iris` are one account, and
 * String.prototype.toLowerCase would make `İ` into `i̇` (two code points), a counter of its own for every such
 * letter. Spellings that are not one account may share a counter; that only makes the limit stricter.
 */
export const accountKey = (username: string): string =>
  [...username].map((c) => [...c.toLowerCase()][0] ?? c).join('');

export interface AuthLimiters {
  /** Both login limits; only failed attempts count. */
  login: RequestHandler[];
  register: RequestHandler[];
}

/**
 * The limiters of the auth routes. They run after the body was validated (a malformed body is a 400 that counts
 * for nothing); a limited request is a 429 with `Retry-After`, before any password is hashed. If the counters'
 * store fails, requests pass (a Redis outage must not lock everyone out) and the error is logged.
 */
export const authLimiters = (limits: RateLimits, stores: RateLimitStores): AuthLimiters => {
  const limiter = (
    name: string,
    options: {
      windowMs: number;
      limit: number;
      key: (req: Request, res: Response) => string;
      failedOnly: boolean;
    },
    message: string,
  ) =>
    rateLimit({
      windowMs: options.windowMs,
      limit: options.limit,
      store: stores(`tt:rl:${name}:`),
      keyGenerator: options.key,
      skipSuccessfulRequests: options.failedOnly,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      passOnStoreError: true,
      handler: (_req, res) => sendProblem(res, 429, message),
    });
  return {
    login: [
      limiter(
        'login-account',
        {
          windowMs: WINDOW_15_MINUTES,
          limit: limits.loginPerAccount,
          key: (_req, res) => accountKey(String(parsedBody(res).username ?? '')),
          failedOnly: true,
        },
        'too many failed logins for this account; try again later',
      ),
      limiter(
        'login-address',
        { windowMs: WINDOW_15_MINUTES, limit: limits.loginPerAddress, key: addressOf, failedOnly: true },
        'too many failed logins from this address; try again later',
      ),
    ],
    register: [
      limiter(
        'register-address',
        { windowMs: WINDOW_HOUR, limit: limits.registerPerAddress, key: addressOf, failedOnly: false },
        'too many registrations from this address; try again later',
      ),
    ],
  };
};
