import { sqlMigration } from '../../shared/sql-migration';

/**
 * `label_removals`: work for the `label-removals` job, one row per (event, label): each `LabelDeleted`, and each
 * later event that put a label deleted before it on an issue (a command that read the labels just before the
 * deletion and appended just after it). The job takes the label off every issue of the organization that carries
 * it; claims, leases and takeovers work as for `member_removals`.
 */
export const labelRemovalsMigration = sqlMigration(
  `
    CREATE TABLE label_removals (
      event_id uuid NOT NULL,
      label_id uuid NOT NULL,
      organization_id uuid NOT NULL,
      actor_id uuid NOT NULL,
      position text COLLATE "C" NOT NULL,
      removed_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
      attempts integer NOT NULL DEFAULT 0,
      lease_owner text,
      lease_until timestamptz,
      released integer NOT NULL DEFAULT 0,
      last_error text,
      finished_at timestamptz,
      PRIMARY KEY (event_id, label_id)
    );
    CREATE INDEX label_removals_pending ON label_removals (position) WHERE status = 'pending';
    CREATE INDEX label_removals_label ON label_removals (label_id, position);
  `,
  'DROP TABLE IF EXISTS label_removals',
);
