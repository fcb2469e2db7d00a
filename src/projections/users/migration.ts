import type { Knex } from 'knex';

/** Public profiles from `UserRegistered`; credentials and `is_admin` stay in the command side's table. */
export const usersMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        username text NOT NULL,
        email text NOT NULL,
        registered_at timestamptz NOT NULL
      );
      -- Adding a member by username; not unique: uniqueness is the command side's, a read model never refuses an event.
      CREATE INDEX users_username ON users (lower(username));
    `);
  },
  async down(knex) {
    await knex.raw('DROP TABLE IF EXISTS users');
  },
};
