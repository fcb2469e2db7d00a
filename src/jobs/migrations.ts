import type { MigrationList } from '../platform/migrator';
import { emailOutboxMigration } from './email/migration';
import { memberRemovalsMigration } from './member-removals/migration';
import { labelRemovalsMigration } from './label-removals/migration';
import {
  notificationKeysMigration,
  notificationsMigration,
  notificationWatchersMigration,
} from './notifications/migration';
import { reactionOriginsMigration } from './reactor/schema';

/** The reactions' and jobs' own tables, in order; `src/migrations.ts` lists them after the read models'. */
export const jobMigrations: MigrationList = [
  ['0300_jobs_reaction_origins', reactionOriginsMigration],
  ['0301_jobs_notifications', notificationsMigration],
  ['0302_jobs_email_outbox', emailOutboxMigration],
  ['0303_jobs_member_removals', memberRemovalsMigration],
  ['0304_jobs_notifications_keys', notificationKeysMigration],
  ['0305_jobs_label_removals', labelRemovalsMigration],
  ['0306_jobs_notifications_watchers', notificationWatchersMigration],
];
