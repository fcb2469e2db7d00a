import { sqlMigration } from '../../shared/sql-migration';

/**
 * Each list ordering has one index per scope (organization, project) whose columns are the scope, the ordering
 * key and the id, so every `?ordering=` (both directions: a btree scans backwards) pages by keyset with an
 * index scan and no sort. Other filters are checked on the rows the scan meets.
 */
export const issuesMigration = sqlMigration(
  `
      CREATE TABLE issues (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        organization_id uuid NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        status text NOT NULL,
        priority text NOT NULL,
        due_date date,
        assignee_id uuid,
        created_by uuid NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        -- The issue stream's revision: the ETag, and the idempotency guard.
        revision integer NOT NULL,
        -- Ordering keys: priority by rank (low < critical), due dates with "none" after every date.
        priority_rank smallint NOT NULL GENERATED ALWAYS AS (
          CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END
        ) STORED,
        due_key date NOT NULL GENERATED ALWAYS AS (coalesce(due_date, 'infinity'::date)) STORED,
        search tsvector NOT NULL GENERATED ALWAYS AS (
          setweight(to_tsvector('english'::regconfig, title), 'A') ||
          setweight(to_tsvector('english'::regconfig, description), 'B')
        ) STORED
      );
      CREATE INDEX issues_org_created ON issues (organization_id, created_at DESC, id DESC);
      CREATE INDEX issues_org_updated ON issues (organization_id, updated_at DESC, id DESC);
      CREATE INDEX issues_org_due ON issues (organization_id, due_key, id);
      CREATE INDEX issues_org_priority ON issues (organization_id, priority_rank, id);
      CREATE INDEX issues_project_created ON issues (project_id, created_at DESC, id DESC);
      CREATE INDEX issues_project_updated ON issues (project_id, updated_at DESC, id DESC);
      CREATE INDEX issues_project_due ON issues (project_id, due_key, id);
      CREATE INDEX issues_project_priority ON issues (project_id, priority_rank, id);
      -- A project board column (one status) in the default ordering.
      CREATE INDEX issues_project_status ON issues (project_id, status, created_at DESC, id DESC);
      -- "Assigned to me": newest first, or by due date.
      CREATE INDEX issues_assignee_created ON issues (assignee_id, created_at DESC, id DESC);
      CREATE INDEX issues_assignee_due ON issues (assignee_id, due_key, id);
      -- Overdue reminders, and due date ranges across everything.
      CREATE INDEX issues_due ON issues (due_date, id) WHERE due_date IS NOT NULL;
      CREATE INDEX issues_search ON issues USING gin (search);

      -- Deleted issues leave the table; their last revision stays so a replayed event cannot bring one back.
      CREATE TABLE issue_tombstones (
        id uuid PRIMARY KEY,
        revision integer NOT NULL
      );
    `,
  'DROP TABLE IF EXISTS issue_tombstones; DROP TABLE IF EXISTS issues;',
);
