import { sqlMigration } from '../../shared/sql-migration';

export const organizationsMigration = sqlMigration(
  `
      CREATE TABLE organizations (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        member_count integer NOT NULL,
        -- The organization stream's last applied revision: the idempotency guard for it and its memberships.
        revision integer NOT NULL
      );
      CREATE TABLE memberships (
        organization_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role text NOT NULL,
        joined_at timestamptz NOT NULL,
        PRIMARY KEY (organization_id, user_id)
      );
      -- A user's organizations and memberships, in organization id order (UUIDv7: creation order).
      CREATE INDEX memberships_user ON memberships (user_id, organization_id) INCLUDE (role, joined_at);
      -- An organization's members, in the order they joined.
      CREATE INDEX memberships_joined ON memberships (organization_id, joined_at, user_id);
    `,
  'DROP TABLE IF EXISTS memberships; DROP TABLE IF EXISTS organizations;',
);
