import { sqlMigration } from '../../shared/sql-migration';

/**
 * Tombstones keep the deleted issue's project, so a project's issue list as of a past moment finds the issues deleted
 * since. Tombstones written before this have none: a rebuild of `project_rooms` fills them in.
 */
export const tombstoneProjectsMigration = sqlMigration(
  `ALTER TABLE issue_tombstones ADD COLUMN project_id uuid;
   CREATE INDEX issue_tombstones_project ON issue_tombstones (project_id);`,
  `DROP INDEX issue_tombstones_project;
   ALTER TABLE issue_tombstones DROP COLUMN project_id;`,
);
