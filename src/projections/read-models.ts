import type { MigrationList } from '../platform/migrator';
import { activityMigration } from './activity/migration';
import { commentsWatchersMigration } from './comments/migration';
import { attachmentsMigration } from './attachments/migration';
import { eventLogMigration } from './event-log/migration';
import { eventLogProjection } from './event-log/projection';
import { issuesMigration } from './issues/migration';
import { keysAndLabelsMigration } from './issues/keys-labels-migration';
import { issueOrderingsMigration } from './issues/orderings-migration';
import { tombstoneProjectsMigration } from './issues/tombstone-projects-migration';
import { issueSearchMigration } from './issues/search-migration';
import { organizationsMigration } from './organizations/migration';
import { organizationsProjection } from './organizations/projection';
import type { Projection } from './projection';
import { projectRoomsProjection } from './project-rooms/projection';
import { projectsMigration } from './projects/migration';
import { usersMigration } from './users/migration';
import { usersProjection } from './users/projection';

/**
 * Every read model, in dependency order: a projection may read (never write) the tables of those before it.
 * `project_rooms` reads usernames from `users` for its realtime messages.
 */
export const readModels: Projection[] = [
  usersProjection,
  organizationsProjection,
  projectRoomsProjection,
  eventLogProjection,
];

/** The read models' tables, in creation order; `src/migrations.ts` lists them after the event store's. */
export const readModelMigrations: MigrationList = [
  ['0200_read_model_users', usersMigration],
  ['0201_read_model_organizations', organizationsMigration],
  ['0202_read_model_projects', projectsMigration],
  ['0203_read_model_issues', issuesMigration],
  ['0204_read_model_project_activity', activityMigration],
  ['0205_read_model_issue_substring_search', issueSearchMigration],
  ['0206_read_model_issue_orderings', issueOrderingsMigration],
  ['0207_read_model_tombstone_projects', tombstoneProjectsMigration],
  ['0208_read_model_event_log', eventLogMigration],
  ['0209_read_model_keys_and_labels', keysAndLabelsMigration],
  ['0210_read_model_comments_watchers', commentsWatchersMigration],
  ['0211_read_model_attachments', attachmentsMigration],
];
