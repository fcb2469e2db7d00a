import { sqlMigration } from '../../shared/sql-migration';

/**
 * `member_removals`: each `MemberRemoved` the reaction saw, until the `member-removals` job has released the
 * member's open assignments in that organization. A run claims a pending removal with a lease (`lease_owner`
 * until `lease_until`, renewed after each release); a run that dies leaves the lease to run out, and the next
 * run takes it over and finishes it (the releases' command ids make the ones already done append nothing).
 */
export const memberRemovalsMigration = sqlMigration(
  `
    CREATE TABLE member_removals (
      event_id uuid PRIMARY KEY,
      organization_id uuid NOT NULL,
      user_id uuid NOT NULL,
      actor_id uuid NOT NULL,
      position text COLLATE "C" NOT NULL,
      removed_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
      attempts integer NOT NULL DEFAULT 0,
      lease_owner text,
      lease_until timestamptz,
      released integer NOT NULL DEFAULT 0,
      last_error text,
      finished_at timestamptz
    );
    CREATE INDEX member_removals_pending ON member_removals (position) WHERE status = 'pending';
  `,
  'DROP TABLE IF EXISTS member_removals',
);
