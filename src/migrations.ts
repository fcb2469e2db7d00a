import { apiMigrations } from './api/migrations';
import { accountMigrations, laterAccountMigrations } from './accounts';
import { eventStoreMigrations } from './eventstore/postgres/schema';
import { jobMigrations } from './jobs/migrations';
import { schedulerMigrations } from './jobs/scheduler/migration';
import { platformMigrations } from './platform/admin-bootstrap';
import type { MigrationList } from './platform/migrator';
import { readModelMigrations } from './projections/read-models';
import { projectorMigrations } from './projections/runner/schema';

/**
 * Every part's tables, in the order they must be applied. Each part lists its own migrations; only their order
 * across parts is decided here (names are numbered so the order is also the names' order).
 */
export const migrations: MigrationList = [
  ...eventStoreMigrations,
  ...accountMigrations,
  ...apiMigrations,
  ...laterAccountMigrations,
  ...projectorMigrations,
  ...readModelMigrations,
  ...jobMigrations,
  ...schedulerMigrations,
  ...platformMigrations,
];
