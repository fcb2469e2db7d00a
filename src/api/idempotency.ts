import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { ValidationError } from '../domain/shared/errors';
import { sendProblem } from './problem';

/**
 * `Idempotency-Key` on POST: the first response is stored (PostgreSQL, with an expiry) and a retry with the
 * same key and body gets it again without running the command twice; the same key with another body is 422.
 * The key also becomes the command id, so even a crash between the append and storing the response cannot
 * append twice: the command handler recognises the command id in the stream.
 */
export const idempotencyMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
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
    `);
  },
  async down(knex) {
    await knex.raw('DROP TABLE IF EXISTS idempotency_keys');
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const scopeOf = (req: Request): string => (req.user as { id?: string } | undefined)?.id ?? 'anonymous';

/** The command id that a request with an Idempotency-Key runs its command under, if any. */
export const idempotentCommandId = (res: Response): string | undefined =>
  res.locals.idempotentCommandId as string | undefined;

export const createIdempotency = (
  knex: Knex,
  options: {
    ttlSeconds: number;
    /** How long a retry waits for the first request with its key to finish. */
    waitMs: number;
  },
): RequestHandler => {
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
    const fingerprint = createHash('sha256')
      .update(`${req.method} ${req.baseUrl}${req.path.replace(/\/$/, '')}\n${canonical(req.body)}`)
      .digest('hex');
    const expiresAt = new Date(Date.now() + options.ttlSeconds * 1000);
    const claimed = await knex('idempotency_keys')
      .insert({ scope, key, fingerprint, expires_at: expiresAt })
      .onConflict(['scope', 'key'])
      // An expired key is free again: take it over as if it were new.
      .merge({
        fingerprint,
        expires_at: expiresAt,
        status: null,
        headers: null,
        body: null,
        created_at: knex.fn.now(),
      })
      .where('idempotency_keys.expires_at', '<', knex.fn.now())
      .returning('key');
    if (claimed.length === 0) {
      type Row = {
        fingerprint: string;
        status: number | null;
        headers: Record<string, string> | null;
        body: string | null;
      };
      const read = async () =>
        (await knex('idempotency_keys').where({ scope, key }).first()) as Row | undefined;
      let row = await read();
      // The first request with this key is still running: a retry waits, bounded, for its answer.
      for (
        let waited = 0;
        row?.status === null && row.fingerprint === fingerprint && waited < options.waitMs;
      ) {
        await sleep(50);
        waited += 50;
        row = await read();
      }
      if (row && row.fingerprint !== fingerprint) {
        sendProblem(res, 422, 'this Idempotency-Key was used with a different request', {
          errors: [{ path: 'Idempotency-Key', message: 'reused with a different body' }],
        });
        return;
      }
      if (row?.status === null) {
        sendProblem(res, 409, 'a request with this Idempotency-Key is still in progress', {
          headers: { 'Retry-After': '1' },
        });
        return;
      }
      if (row) {
        for (const [name, value] of Object.entries(row.headers ?? {})) res.setHeader(name, value);
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(row.status ?? 200).send(row.body ?? undefined);
        return;
      }
      // The first request failed with a 5xx and freed the key: run again, under the same command id.
    }
    res.locals.idempotentCommandId = `idempotency:${scope}:${key}`;
    // The answer is recorded when the handler writes it, not when the client receives it: a client that gave
    // up waiting gets it on its retry. A 5xx frees the key (the command id still prevents a second append).
    let recorded = false;
    const record = (body: string | undefined): void => {
      if (recorded) return;
      recorded = true;
      const done =
        res.statusCode >= 500
          ? knex('idempotency_keys').where({ scope, key }).delete()
          : knex('idempotency_keys')
              .where({ scope, key })
              .update({
                status: res.statusCode,
                body: body ?? null,
                headers: JSON.stringify(
                  Object.fromEntries(
                    REPLAYED_HEADERS.filter((h) => res.getHeader(h) !== undefined).map((h) => [
                      h,
                      String(res.getHeader(h)),
                    ]),
                  ),
                ),
              });
      done.catch(() => undefined);
    };
    const send = res.send.bind(res);
    res.send = ((chunk?: unknown) => {
      record(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined);
      return send(chunk as never);
    }) as typeof res.send;
    const end = res.end.bind(res);
    res.end = ((...args: unknown[]) => {
      record(undefined);
      return (end as (...a: unknown[]) => typeof res)(...args);
    }) as typeof res.end;
    next();
  };
};
