import type { Knex } from 'knex';

/**
 * Orderings by status (workflow order) and by title (case-insensitive), and API.md's tie-break for every ordering:
 * `created_at`, then `id`. Each ordering keeps one index per scope whose columns are the scope, the ordering key,
 * `created_at` and `id`, so a page is an index range scan in either direction with no sort. Tombstones keep the
 * creation time, so a restored issue comes back with it.
 */
export const issueOrderingsMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      ALTER TABLE issue_tombstones ADD COLUMN created_at timestamptz;
      ALTER TABLE issues
        ADD COLUMN status_rank smallint NOT NULL GENERATED ALWAYS AS (
          CASE status WHEN 'open' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'blocked' THEN 2 ELSE 3 END
        ) STORED,
        ADD COLUMN title_key text NOT NULL GENERATED ALWAYS AS (lower(title)) STORED;
      DROP INDEX issues_org_due, issues_org_priority, issues_project_due, issues_project_priority,
        issues_org_updated, issues_project_updated, issues_assignee_due;
      CREATE INDEX issues_org_updated ON issues (organization_id, updated_at, created_at, id);
      CREATE INDEX issues_org_due ON issues (organization_id, due_key, created_at, id);
      CREATE INDEX issues_org_priority ON issues (organization_id, priority_rank, created_at, id);
      CREATE INDEX issues_org_status ON issues (organization_id, status_rank, created_at, id);
      CREATE INDEX issues_org_title ON issues (organization_id, title_key, created_at, id);
      CREATE INDEX issues_project_updated ON issues (project_id, updated_at, created_at, id);
      CREATE INDEX issues_project_due ON issues (project_id, due_key, created_at, id);
      CREATE INDEX issues_project_priority ON issues (project_id, priority_rank, created_at, id);
      CREATE INDEX issues_project_status_rank ON issues (project_id, status_rank, created_at, id);
      CREATE INDEX issues_project_title ON issues (project_id, title_key, created_at, id);
      CREATE INDEX issues_assignee_due ON issues (assignee_id, due_key, created_at, id);
    `);
  },
  async down(knex) {
    await knex.raw(`
      DROP INDEX issues_org_updated, issues_org_due, issues_org_priority, issues_org_status, issues_org_title,
        issues_project_updated, issues_project_due, issues_project_priority, issues_project_status_rank,
        issues_project_title, issues_assignee_due;
      ALTER TABLE issues DROP COLUMN status_rank, DROP COLUMN title_key;
      ALTER TABLE issue_tombstones DROP COLUMN created_at;
      CREATE INDEX issues_org_updated ON issues (organization_id, updated_at DESC, id DESC);
      CREATE INDEX issues_org_due ON issues (organization_id, due_key, id);
      CREATE INDEX issues_org_priority ON issues (organization_id, priority_rank, id);
      CREATE INDEX issues_project_updated ON issues (project_id, updated_at DESC, id DESC);
      CREATE INDEX issues_project_due ON issues (project_id, due_key, id);
      CREATE INDEX issues_project_priority ON issues (project_id, priority_rank, id);
      CREATE INDEX issues_assignee_due ON issues (assignee_id, due_key, id);
    `);
  },
};
