import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { sqlMigration } from '../shared/sql-migration';

/**
 * Refresh tokens: random, stored only as SHA-256 hashes, rotated on every use. Each login starts a family;
 * presenting a token that was already spent means it leaked, so the whole family is revoked.
 */
export const sessionsMigration = sqlMigration(
  `
      CREATE TABLE refresh_tokens (
        token_hash text PRIMARY KEY,
        family_id uuid NOT NULL,
        user_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
      CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
    `,
  'DROP TABLE IF EXISTS refresh_tokens',
);

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

/** A login: the family its refresh tokens belong to (access tokens carry it as their session id). */
export interface Session {
  userId: string;
  familyId: string;
  refresh: string;
}

export type RotateOutcome =
  | ({ ok: true } & Session)
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' }
  /** A spent token came back: it leaked, and its family is revoked now. */
  | { ok: false; reason: 'reused'; userId: string; familyId: string };

export interface SessionStore {
  /** Starts a new family for a login. */
  start(userId: string): Promise<Session>;
  rotate(refresh: string): Promise<RotateOutcome>;
  /**
   * Ends the token's family (logout) and returns it; unknown tokens, and tokens of another user when `userId` is
   * given, are ignored (null).
   */
  revoke(refresh: string, userId?: string): Promise<{ userId: string; familyId: string } | null>;
  /** Whether the family can still be used: neither revoked nor past every token's expiry. */
  isActive(familyId: string): Promise<boolean>;
  /** Deletes tokens that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}

interface TokenRow {
  family_id: string;
  user_id: string;
  used_at: Date | null;
  revoked_at: Date | null;
  expires_at: Date;
}

const revokeFamily = (db: Knex | Knex.Transaction, familyId: string) =>
  db('refresh_tokens')
    .where({ family_id: familyId })
    .whereNull('revoked_at')
    .update({ revoked_at: db.fn.now() });

/** Why a token that could not be spent was refused; a spent one presented again revokes its family. */
const refusal = async (trx: Knex.Transaction, refresh: string): Promise<RotateOutcome> => {
  const known = (await trx('refresh_tokens')
    .where({ token_hash: hashToken(refresh) })
    .first()) as TokenRow | undefined;
  if (!known) return { ok: false, reason: 'unknown' };
  if (known.revoked_at) return { ok: false, reason: 'revoked' };
  if (!known.used_at) return { ok: false, reason: 'expired' };
  await revokeFamily(trx, known.family_id);
  return { ok: false, reason: 'reused', userId: known.user_id, familyId: known.family_id };
};

export const pgSessionStore = (knex: Knex, options: { ttlSeconds: number }): SessionStore => {
  const insert = async (trx: Knex | Knex.Transaction, userId: string, familyId: string): Promise<string> => {
    const token = newToken();
    await trx('refresh_tokens').insert({
      token_hash: hashToken(token),
      family_id: familyId,
      user_id: userId,
      expires_at: new Date(Date.now() + options.ttlSeconds * 1000),
    });
    return token;
  };
  return {
    async start(userId) {
      const familyId = randomUUID();
      return { userId, familyId, refresh: await insert(knex, userId, familyId) };
    },
    rotate(refresh) {
      return knex.transaction(async (trx) => {
        // Spend the token atomically: of two concurrent uses, one wins and the other looks like reuse.
        const [spent] = (await trx('refresh_tokens')
          .where({ token_hash: hashToken(refresh) })
          .whereNull('used_at')
          .whereNull('revoked_at')
          .where('expires_at', '>', trx.fn.now())
          .update({ used_at: trx.fn.now() })
          .returning(['user_id', 'family_id'])) as Pick<TokenRow, 'user_id' | 'family_id'>[];
        if (!spent) return refusal(trx, refresh);
        const { user_id: userId, family_id: familyId } = spent;
        return { ok: true, userId, familyId, refresh: await insert(trx, userId, familyId) };
      });
    },
    async revoke(refresh, userId) {
      const known = (await knex('refresh_tokens')
        .where({ token_hash: hashToken(refresh) })
        .first()) as TokenRow | undefined;
      if (!known || (userId !== undefined && known.user_id !== userId)) return null;
      await revokeFamily(knex, known.family_id);
      return { userId: known.user_id, familyId: known.family_id };
    },
    async isActive(familyId) {
      const row = await knex('refresh_tokens')
        .select(knex.raw('1'))
        .where({ family_id: familyId })
        .whereNull('revoked_at')
        .where('expires_at', '>', knex.fn.now())
        .first();
      return row !== undefined;
    },
    async purgeExpired(before) {
      return knex('refresh_tokens').where('expires_at', '<', before).delete();
    },
  };
};
