import { sqlMigration } from '../../shared/sql-migration';

/** Public profiles from `UserRegistered`; credentials and `is_admin` stay in the command side's table. */
export const usersMigration = sqlMigration(
  `
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        username text NOT NULL,
        email text NOT NULL,
        registered_at timestamptz NOT NULL
      );
      -- Adding a member by username; not unique: uniqueness is the command side's, a read model never refuses an event.
      CREATE INDEX users_username ON users (lower(username));
    `,
  'DROP TABLE IF EXISTS users',
);
