import { idempotencyLeasesMigration, idempotencyMigration } from './api/idempotency';
import { rateLimitsMigration } from './api/rate-limits';
import { credentialsMigration } from './commands/users/pg-credential-store';
import { sessionsMigration } from './commands/users/sessions';
import { eventStoreMigration } from './eventstore/postgres/schema';
import type { MigrationList } from './platform/migrator';
import { readModelMigrations } from './projections/read-models';
import { checkpointStoreMigration, checkpointsMigration } from './projections/runner/schema';

/** Every part's schema, in the order it must be applied. */
export const migrations: MigrationList = [
  ['0001_event_store', eventStoreMigration],
  ['0002_user_credentials', credentialsMigration],
  ['0003_refresh_tokens', sessionsMigration],
  ['0004_idempotency_keys', idempotencyMigration],
  ['0005_idempotency_leases', idempotencyLeasesMigration],
  ['0006_rate_limits', rateLimitsMigration],
  ['0100_projector_checkpoints', checkpointsMigration],
  ['0101_projector_checkpoint_store', checkpointStoreMigration],
  ...readModelMigrations,
];
