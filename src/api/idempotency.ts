import { createHmac, randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { ValidationError } from '../domain/shared/errors';
import { sendProblem } from './problem';
import { setTimeout as sleep } from 'node:timers/promises';
import { sqlMigration } from '../shared/sql-migration';

/**
 * `Idempotency-Key` on POST: the first response is stored (PostgreSQL, with an expiry) and a retry with the
 * same key and body gets it again without running the command twice; the same key with another body is 422.
 * The key also becomes the command id, so even a crash between the append and storing the response cannot
 * append twice: the command handler recognises the command id in the stream.
 *
 * A request holds its key under a lease that it renews while it runs. A process that dies holding one stops
 * renewing it: once the lease has run out, a retry takes the key over and runs the command again under the same
 * command id, so an append that did happen is recognised and one that did not is made.
 */
export const idempotencyMigration = sqlMigration(
  `
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        status integer,
        headers jsonb,
        body text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (scope, key)
      );
      CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
    `,
  'DROP TABLE IF EXISTS idempotency_keys',
);

/**
 * Leases for in-flight keys, and keyed fingerprints. The rows written before held unsalted SHA-256 digests of
 * request bodies (registration passwords included): they go. Dropping them is safe, as a retry then runs its
 * command again under the same command id, which the event stream recognises.
 */
export const idempotencyLeasesMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      DELETE FROM idempotency_keys;
      ALTER TABLE idempotency_keys ADD COLUMN owner text, ADD COLUMN lease_expires_at timestamptz;
    `);
  },
  async down(knex) {
    await knex.raw(`
      DELETE FROM idempotency_keys;
      ALTER TABLE idempotency_keys DROP COLUMN owner, DROP COLUMN lease_expires_at;
    `);
  },
};

const REPLAYED_HEADERS = ['content-type', 'location', 'etag', 'x-position', 'preference-applied'];
const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted: the same body from another serializer is the same body. */
const MAX_DEPTH = 64;

const canonical = (value: unknown, depth = 0): string => {
  if (depth > MAX_DEPTH) {
    throw new ValidationError([{ path: 'body', message: `must not nest deeper than ${MAX_DEPTH} levels` }]);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
};

const scopeOf = (req: Request): string => (req.user as { id?: string } | undefined)?.id ?? 'anonymous';

/** The command id that a request with an Idempotency-Key runs its command under, if any. */
export const idempotentCommandId = (res: Response): string | undefined =>
  res.locals.idempotentCommandId as string | undefined;

export interface IdempotencyOptions {
  ttlSeconds: number;
  /** How long a retry waits for the first request with its key to finish. */
  waitMs: number;
  /**
   * The server's secret for fingerprints: a body's fingerprint is an HMAC under a key derived from it, never a
   * plain digest (a registration body holds a password). Every API process must use the same secret.
   */
  secret: string;
  /** How long a claim survives its holder; renewed every third of it while the request runs. Default 5 s. */
  leaseMs?: number;
  /** Renewal stops after this long, so a request stuck for ever cannot hold its key for ever. Default 2 min. */
  maxHoldMs?: number;
}

interface Row {
  fingerprint: string;
  status: number | null;
  headers: Record<string, string> | null;
  body: string | null;
  lease_expired: boolean;
}

type Claim =
  | { kind: 'run'; owner: string }
  | { kind: 'replay'; row: Row }
  | { kind: 'mismatch' }
  | { kind: 'busy' };

/** The `idempotency_keys` table: claims, leases and recorded answers. */
class KeyTable {
  private readonly leaseMs: number;
  private readonly maxHoldMs: number;

  constructor(
    private readonly knex: Knex,
    private readonly options: IdempotencyOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 5000;
    this.maxHoldMs = options.maxHoldMs ?? 120_000;
  }

  private lease() {
    return this.knex.raw(`now() + ?::int * interval '1 millisecond'`, [this.leaseMs]);
  }

  /** Claims the key, or replays its answer, or waits (bounded) for it, or takes it over once its lease ran out. */
  async claim(scope: string, key: string, fingerprint: string): Promise<Claim> {
    const owner = randomBytes(16).toString('hex');
    if (await this.claimFresh(scope, key, fingerprint, owner)) return { kind: 'run', owner };
    for (let waited = 0; ; waited += 50) {
      const row = await this.read(scope, key);
      if (row === undefined) {
        if (await this.claimFresh(scope, key, fingerprint, owner)) return { kind: 'run', owner };
        continue;
      }
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.status !== null) return { kind: 'replay', row };
      if (row.lease_expired && (await this.takeOver(scope, key, fingerprint, owner)))
        return { kind: 'run', owner };
      if (waited >= this.options.waitMs) return { kind: 'busy' };
      await sleep(50);
    }
  }

  /** A new key, or an expired one taken over as if it were new. */
  private async claimFresh(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean> {
    const { knex } = this;
    const expiresAt = new Date(Date.now() + this.options.ttlSeconds * 1000);
    const fresh = { fingerprint, expires_at: expiresAt, owner, lease_expires_at: this.lease() };
    const claimed = await knex('idempotency_keys')
      .insert({ scope, key, ...fresh })
      .onConflict(['scope', 'key'])
      .merge({ ...fresh, status: null, headers: null, body: null, created_at: knex.fn.now() })
      .where('idempotency_keys.expires_at', '<', knex.fn.now())
      .returning('key');
    return claimed.length > 0;
  }

  /** A key whose holder stopped renewing its lease (it died, or freed the key after a 5xx). */
  private async takeOver(scope: string, key: string, fingerprint: string, owner: string): Promise<boolean> {
    const { knex } = this;
    const taken = await knex('idempotency_keys')
      .where({ scope, key, fingerprint })
      .whereNull('status')
      .where((q) => q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', knex.fn.now()))
      .update({ owner, lease_expires_at: this.lease() })
      .returning('key');
    return taken.length > 0;
  }

  private async read(scope: string, key: string): Promise<Row | undefined> {
    const { knex } = this;
    return (await knex('idempotency_keys')
      .select(
        'fingerprint',
        'status',
        'headers',
        'body',
        knex.raw('coalesce(lease_expires_at < now(), true) AS lease_expired'),
      )
      .where({ scope, key })
      .first()) as Row | undefined;
  }

  /** Keeps the lease alive while the request runs; stops when it is answered or has held the key too long. */
  holdLease(scope: string, key: string, owner: string): () => void {
    const started = Date.now();
    const timer = setInterval(
      () => {
        if (Date.now() - started > this.maxHoldMs) return clearInterval(timer);
        this.knex('idempotency_keys')
          .where({ scope, key, owner })
          .whereNull('status')
          .update({ lease_expires_at: this.lease() })
          .catch(() => undefined); // a missed renewal only lets a retry take over early: still exactly once
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Stores the answer for retries. An answer that says the request did not run and may well run on a retry frees
   * the key instead (the command id still prevents a second append): a 5xx, a 412 (a stale If-Match: the client
   * reads again and retries the same intent, with the same key, under the new ETag) and a 409 (a conflict that
   * outlasted the retries, or a state that a retry will find again).
   */
  async record(scope: string, key: string, owner: string, answer: Answer): Promise<void> {
    const mine = this.knex('idempotency_keys').where({ scope, key, owner });
    if (answer.status >= 500 || RETRYABLE.has(answer.status))
      await mine.update({ owner: null, lease_expires_at: null });
    else
      await mine.update({
        status: answer.status,
        body: answer.body ?? null,
        headers: JSON.stringify(answer.headers),
      });
  }
}

/** Refusals a retry of the very same request may not get: not stored (see `record`). */
const RETRYABLE = new Set([409, 412]);

interface Answer {
  status: number;
  body: string | undefined;
  headers: Record<string, string>;
}

/**
 * Calls `onAnswer` once, when the handler writes its answer (not when the client receives it: a client that gave up
 * waiting gets it on its retry).
 */
const interceptAnswer = (res: Response, onAnswer: (answer: Answer) => void): void => {
  let answered = false;
  const answer = (body: string | undefined) => {
    if (answered) return;
    answered = true;
    const headers = Object.fromEntries(
      REPLAYED_HEADERS.filter((h) => res.getHeader(h) !== undefined).map((h) => [
        h,
        String(res.getHeader(h)),
      ]),
    );
    onAnswer({ status: res.statusCode, body, headers });
  };
  const send = res.send.bind(res);
  res.send = ((chunk?: unknown) => {
    answer(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined);
    return send(chunk as never);
  }) as typeof res.send;
  const end = res.end.bind(res);
  res.end = ((...args: unknown[]) => {
    answer(undefined);
    return (end as (...a: unknown[]) => typeof res)(...args);
  }) as typeof res.end;
};

/** Answers a request whose key was not claimed: a mismatch, a key still in progress, or the recorded answer. */
const answerUnclaimed = (res: Response, claimed: Exclude<Claim, { kind: 'run' }>): void => {
  if (claimed.kind === 'mismatch') {
    sendProblem(res, 422, 'this Idempotency-Key was used with a different request', {
      errors: [{ path: 'Idempotency-Key', message: 'reused with a different body' }],
    });
  } else if (claimed.kind === 'busy') {
    sendProblem(res, 409, 'a request with this Idempotency-Key is still in progress', {
      headers: { 'Retry-After': '1' },
    });
  } else {
    for (const [name, value] of Object.entries(claimed.row.headers ?? {})) res.setHeader(name, value);
    res.setHeader('Idempotent-Replayed', 'true');
    res.status(claimed.row.status ?? 200).send(claimed.row.body ?? undefined);
  }
};

export const createIdempotency = (knex: Knex, options: IdempotencyOptions): RequestHandler => {
  const keys = new KeyTable(knex, options);
  const fingerprintKey = createHmac('sha256', options.secret).update('team-tracker:idempotency').digest();
  const fingerprintOf = (req: Request): string =>
    createHmac('sha256', fingerprintKey)
      .update(`${req.method} ${req.baseUrl}${req.path.replace(/\/$/, '')}\n${canonical(req.body)}`)
      .digest('hex');

  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!KEY.test(key)) {
      sendProblem(res, 400, 'Idempotency-Key must be 1 to 255 visible ASCII characters', {
        errors: [{ path: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
      });
      return;
    }
    const scope = scopeOf(req);
    const claimed = await keys.claim(scope, key, fingerprintOf(req));
    if (claimed.kind !== 'run') return answerUnclaimed(res, claimed);
    const release = keys.holdLease(scope, key, claimed.owner);
    res.locals.idempotentCommandId = `idempotency:${scope}:${key}`;
    interceptAnswer(res, (answer) => {
      release();
      keys.record(scope, key, claimed.owner, answer).catch(() => undefined);
    });
    next();
  };
};
