import { sqlMigration } from '../../shared/sql-migration';

/**
 * Attachments' metadata (`project_rooms`': its messages show each attachment as it was added). Removed ones stay,
 * with `removed_at`: the cleanup job deletes their bytes once the retention period has passed and no other
 * attachment still refers to the same content (storage keys are the content's sha256). `revision` is the issue
 * stream's revision of the attachment's last event.
 */
export const attachmentsMigration = sqlMigration(
  `
    CREATE TABLE attachments (
      id uuid PRIMARY KEY,
      issue_id uuid NOT NULL,
      project_id uuid NOT NULL,
      organization_id uuid NOT NULL,
      filename text NOT NULL,
      content_type text NOT NULL,
      detected_type text,
      declared_type text,
      size bigint NOT NULL,
      sha256 text NOT NULL,
      storage_key text NOT NULL,
      uploaded_by uuid NOT NULL,
      uploaded_at timestamptz NOT NULL,
      removed_at timestamptz,
      revision integer NOT NULL
    );
    -- An issue's live attachments, oldest first, as views and the list show them.
    CREATE INDEX attachments_issue ON attachments (issue_id, uploaded_at, id) WHERE removed_at IS NULL;
    -- Whether any attachment still refers to some content: the cleanup job's question.
    CREATE INDEX attachments_storage_key ON attachments (storage_key);
  `,
  `DROP TABLE IF EXISTS attachments;`,
);
