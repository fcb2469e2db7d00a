import type { Knex } from 'knex';
import { idempotencyLeasesMigration, idempotencyMigration } from './idempotency';
import { rateLimitsMigration } from './rate-limits';

/** The API's own tables (idempotency keys, rate limit counters), in order; the composition root places them. */
export const apiMigrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['0004_idempotency_keys', idempotencyMigration],
  ['0005_idempotency_leases', idempotencyLeasesMigration],
  ['0006_rate_limits', rateLimitsMigration],
];
