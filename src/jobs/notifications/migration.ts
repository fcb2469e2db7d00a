import { sqlMigration } from '../../shared/sql-migration';

/**
 * The notifications reaction's tables, all job-owned:
 *
 * - `notification_issues`, `notification_members`: the reaction's own view of each issue (title, creator,
 *   assignee) and of each organization's members, folded from the events it reads, in the batch's transaction,
 *   so it knows them exactly as of each event (the read models may lag behind or run ahead of the reactor).
 * - `notification_inboxes`: each recipient's last notification number. Taking the next number locks the row until
 *   the transaction ends, so a recipient's numbers are dense and committed in order whoever writes them (the
 *   reactor, the overdue reminders): a socket that sees one skipped knows it missed one.
 * - `notifications`: one row per (event, recipient, kind), or per (issue, day) for overdue reminders, so a replay
 *   or a repeated run never notifies twice.
 */
export const notificationsMigration = sqlMigration(
  `
    CREATE TABLE notification_issues (
      issue_id uuid PRIMARY KEY,
      organization_id uuid NOT NULL,
      project_id uuid NOT NULL,
      title text NOT NULL,
      created_by uuid NOT NULL,
      assignee_id uuid,
      deleted boolean NOT NULL DEFAULT false
    );
    CREATE TABLE notification_members (
      organization_id uuid NOT NULL,
      user_id uuid NOT NULL,
      PRIMARY KEY (organization_id, user_id)
    );
    CREATE TABLE notification_inboxes (
      recipient_id uuid PRIMARY KEY,
      last_seq bigint NOT NULL
    );
    CREATE TABLE notifications (
      id uuid PRIMARY KEY,
      recipient_id uuid NOT NULL,
      seq bigint NOT NULL,
      kind text NOT NULL,
      issue_id uuid,
      project_id uuid,
      organization_id uuid,
      message text NOT NULL,
      actor_id uuid,
      event_id uuid,
      event_position text COLLATE "C",
      reminder_date date,
      created_at timestamptz NOT NULL,
      read_at timestamptz,
      CONSTRAINT notifications_inbox_seq UNIQUE (recipient_id, seq),
      CONSTRAINT notifications_event UNIQUE (event_id, recipient_id, kind)
    );
    CREATE UNIQUE INDEX notifications_overdue_day ON notifications (issue_id, reminder_date)
      WHERE kind = 'issue.overdue';
    CREATE INDEX notifications_unread ON notifications (recipient_id, seq) WHERE read_at IS NULL;
    CREATE INDEX notifications_read_at ON notifications (read_at) WHERE read_at IS NOT NULL;
  `,
  `
    DROP TABLE IF EXISTS notifications;
    DROP TABLE IF EXISTS notification_inboxes;
    DROP TABLE IF EXISTS notification_members;
    DROP TABLE IF EXISTS notification_issues;
  `,
);

/**
 * Watchers in notifications: the reaction's own view of who watches each issue (`notification_watchers`: watching
 * or explicitly unwatched, by the domain's rule), folded from the events it reads. Issues it knows already get
 * their creator and assignee as watchers, as the rule would have made them.
 */
export const notificationWatchersMigration = sqlMigration(
  `
    CREATE TABLE notification_watchers (
      issue_id uuid NOT NULL,
      user_id uuid NOT NULL,
      watching boolean NOT NULL,
      PRIMARY KEY (issue_id, user_id)
    );
    INSERT INTO notification_watchers (issue_id, user_id, watching)
      SELECT issue_id, created_by, true FROM notification_issues
      UNION SELECT issue_id, assignee_id, true FROM notification_issues WHERE assignee_id IS NOT NULL
      ON CONFLICT DO NOTHING;
  `,
  `
    DROP TABLE IF EXISTS notification_watchers;
  `,
);

/**
 * Issue keys in notifications: the reaction's own count of each project's issues (`notification_projects`, from
 * `ProjectCreated` and `IssueCreated` in log order, as the read model counts them) and each issue's key. Projects
 * created before this have no row, so their issues are named by title alone.
 */
export const notificationKeysMigration = sqlMigration(
  `
    CREATE TABLE notification_projects (
      project_id uuid PRIMARY KEY,
      key text NOT NULL,
      last_issue_number integer NOT NULL
    );
    ALTER TABLE notification_issues ADD COLUMN key text;
  `,
  `
    ALTER TABLE notification_issues DROP COLUMN key;
    DROP TABLE IF EXISTS notification_projects;
  `,
);
