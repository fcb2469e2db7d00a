import { sqlMigration } from '../../shared/sql-migration';

export const projectsMigration = sqlMigration(
  `
      CREATE TABLE projects (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        name text NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        archived boolean NOT NULL,
        -- The project stream's last applied revision (idempotency guard).
        revision integer NOT NULL
      );
      -- Lists leave archived projects out, newest first.
      CREATE INDEX projects_org_created ON projects (organization_id, created_at DESC, id DESC) WHERE NOT archived;
    `,
  'DROP TABLE IF EXISTS projects',
);
