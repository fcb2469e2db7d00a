import type { Knex } from 'knex';
import { UUID_PATTERN } from '../shared/uuid';
import { type CredentialStore, type Credentials, TakenError } from './credentials';
import { sqlMigration } from '../shared/sql-migration';

export const credentialsMigration = sqlMigration(
  `
      CREATE TABLE user_credentials (
        user_id uuid PRIMARY KEY,
        username text NOT NULL,
        email text NOT NULL,
        password_hash text NOT NULL,
        is_admin boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX user_credentials_username ON user_credentials (lower(username));
      CREATE UNIQUE INDEX user_credentials_email ON user_credentials (lower(email));
    `,
  'DROP TABLE IF EXISTS user_credentials',
);

interface Row {
  user_id: string;
  username: string;
  email: string;
  password_hash: string;
  is_admin: boolean;
}

const fromRow = (row: Row | undefined): Credentials | null =>
  row
    ? {
        userId: row.user_id,
        username: row.username,
        email: row.email,
        passwordHash: row.password_hash,
        isAdmin: row.is_admin,
      }
    : null;

export const pgCredentialStore = (knex: Knex): CredentialStore => ({
  async insert(c) {
    try {
      await knex('user_credentials').insert({
        user_id: c.userId,
        username: c.username,
        email: c.email,
        password_hash: c.passwordHash,
        is_admin: c.isAdmin,
      });
    } catch (error) {
      const e = error as { code?: string; constraint?: string };
      if (e.code === '23505')
        throw new TakenError(e.constraint === 'user_credentials_email' ? 'email' : 'username');
      throw error;
    }
  },
  async remove(userId) {
    await knex('user_credentials').where({ user_id: userId }).delete();
  },
  async findByUsername(username) {
    return fromRow(
      await knex<Row>('user_credentials').whereRaw('lower(username) = lower(?)', [username]).first(),
    );
  },
  async findById(userId) {
    if (!UUID_PATTERN.test(userId)) return null;
    return fromRow(await knex<Row>('user_credentials').where({ user_id: userId }).first());
  },
  async setAdmin(userId, isAdmin) {
    await knex('user_credentials').where({ user_id: userId }).update({ is_admin: isAdmin });
  },
});
