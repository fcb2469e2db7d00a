import { credentialsMigration } from './commands/users/pg-credential-store';
import { eventStoreMigration } from './eventstore/postgres/schema';
import type { MigrationList } from './platform/migrator';

/** Every part's schema, in the order it must be applied. */
export const migrations: MigrationList = [
  ['0001_event_store', eventStoreMigration],
  ['0002_user_credentials', credentialsMigration],
];
