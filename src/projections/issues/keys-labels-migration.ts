import { sqlMigration } from '../../shared/sql-migration';

/**
 * Project keys, issue numbers and labels, all `project_rooms`' (its messages name labels as they were at each
 * event, so it folds the label events itself, in log order, with the issue events).
 *
 * - `projects.key` comes from `ProjectCreated`; `projects.last_issue_number` is the highest number given to one of
 *   its issues. Rows written before this migration have neither (null): their issues get no number until a
 *   rebuild of `project_rooms`, which numbers every issue from the log. A null count is never guessed from, so a
 *   number once shown never changes.
 * - `issues.number` is the issue's rank among its project's creations in log order; `issues.key` is
 *   `<project key>-<number>` (keys never change, so it is stored, and looked up by index). Tombstones keep both:
 *   numbers are never reused, and a restored issue gets its own back.
 * - `issues.label_ids` names labels by id; names and colours are read from `labels` at read time, so a rename
 *   shows on every issue at once. The GIN index serves `?label=` (all given labels: `@>`).
 * - `labels` keeps deleted labels (`deleted`), so a message about an issue that lost one can still name it.
 */
export const keysAndLabelsMigration = sqlMigration(
  `
    ALTER TABLE projects ADD COLUMN key text, ADD COLUMN last_issue_number integer;
    ALTER TABLE issues
      ADD COLUMN number integer,
      ADD COLUMN key text,
      ADD COLUMN label_ids uuid[] NOT NULL DEFAULT '{}';
    CREATE UNIQUE INDEX issues_project_number ON issues (project_id, number);
    CREATE INDEX issues_key ON issues (key) WHERE key IS NOT NULL;
    CREATE INDEX issues_labels ON issues USING gin (label_ids);
    ALTER TABLE issue_tombstones ADD COLUMN number integer, ADD COLUMN key text;
    CREATE TABLE labels (
      id uuid PRIMARY KEY,
      organization_id uuid NOT NULL,
      name text NOT NULL,
      color text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      deleted boolean NOT NULL,
      -- The organization stream's revision of the label's last event (rows are never removed).
      revision integer NOT NULL
    );
    -- An organization's labels by name (case-insensitive), as the list pages them.
    CREATE INDEX labels_organization ON labels (organization_id, lower(name) COLLATE "C", id) WHERE NOT deleted;
  `,
  `
    DROP TABLE IF EXISTS labels;
    ALTER TABLE issue_tombstones DROP COLUMN number, DROP COLUMN key;
    DROP INDEX IF EXISTS issues_labels, issues_key, issues_project_number;
    ALTER TABLE issues DROP COLUMN label_ids, DROP COLUMN key, DROP COLUMN number;
    ALTER TABLE projects DROP COLUMN last_issue_number, DROP COLUMN key;
  `,
);
