import { sqlMigration } from '../../shared/sql-migration';

/**
 * The email outbox, written by the notifications reaction (and the overdue reminders) in their transactions and
 * drained by the `email-digests` job:
 *
 * - `email_batches`: one email to one user. `open` takes the user's new notifications until the job claims it
 *   (at most one open batch per user); `sending` is claimed: `lease_owner` holds it until `lease_until`, after
 *   which another run may take it over (a crashed sender, or a failure waiting for its retry); then `sent`,
 *   `skipped` (the user turned email off meanwhile) or `failed` (too many attempts).
 * - `email_batch_items`: what the email lists, copied from the notifications, so that deleting old notifications
 *   never touches the outbox.
 */
export const emailOutboxMigration = sqlMigration(
  `
    CREATE TABLE email_batches (
      id uuid PRIMARY KEY,
      recipient_id uuid NOT NULL,
      status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'sending', 'sent', 'skipped', 'failed')),
      due_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0,
      lease_owner text,
      lease_until timestamptz,
      last_error text,
      finished_at timestamptz
    );
    CREATE UNIQUE INDEX email_batches_open ON email_batches (recipient_id) WHERE status = 'open';
    CREATE INDEX email_batches_due ON email_batches (due_at) WHERE status IN ('open', 'sending');
    CREATE INDEX email_batches_finished ON email_batches (finished_at) WHERE finished_at IS NOT NULL;
    CREATE TABLE email_batch_items (
      batch_id uuid NOT NULL REFERENCES email_batches (id) ON DELETE CASCADE,
      notification_id uuid NOT NULL,
      seq bigint NOT NULL,
      kind text NOT NULL,
      issue_id uuid,
      message text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (batch_id, notification_id)
    );
  `,
  'DROP TABLE IF EXISTS email_batch_items; DROP TABLE IF EXISTS email_batches;',
);
