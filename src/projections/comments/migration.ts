import { sqlMigration } from '../../shared/sql-migration';

/**
 * Comments and watchers, both `project_rooms`' (a room's `comment.*` message needs the comment exactly as it was
 * right after its event, which the batch fold has in memory).
 *
 * - `issue_comments`: one row per comment, kept when deleted (`deleted`) so the fold of a later event finds it;
 *   `position` is its `CommentAdded`'s log position: the list's order (oldest first) and its keyset, served by the
 *   partial index. `revision` is the issue stream's revision of the comment's last event.
 * - `issue_watchers`: (issue, user) → watching (`true`) or explicitly unwatched (`false`); the rule is the domain's
 *   (`src/domain/issue/watching.ts`). The primary key serves `watching` for the caller on every issue view.
 *   Issues that exist when it runs get their creator and assignee as watchers, as the rule would have made them
 *   (earlier assignees only by a rebuild of `project_rooms`).
 * - `issues.comment_count` (and the tombstones', so a restore gets it back): live comments.
 */
export const commentsWatchersMigration = sqlMigration(
  `
    ALTER TABLE issues ADD COLUMN comment_count integer NOT NULL DEFAULT 0;
    ALTER TABLE issue_tombstones ADD COLUMN comment_count integer NOT NULL DEFAULT 0;
    CREATE TABLE issue_comments (
      id uuid PRIMARY KEY,
      issue_id uuid NOT NULL,
      project_id uuid NOT NULL,
      organization_id uuid NOT NULL,
      author_id uuid NOT NULL,
      body text NOT NULL,
      mentioned_ids uuid[] NOT NULL DEFAULT '{}',
      position text COLLATE "C" NOT NULL,
      created_at timestamptz NOT NULL,
      edited_at timestamptz,
      deleted boolean NOT NULL DEFAULT false,
      revision integer NOT NULL
    );
    CREATE INDEX issue_comments_list ON issue_comments (issue_id, position) WHERE NOT deleted;
    CREATE TABLE issue_watchers (
      issue_id uuid NOT NULL,
      user_id uuid NOT NULL,
      watching boolean NOT NULL,
      PRIMARY KEY (issue_id, user_id)
    );
    -- Issues from before watching: their creator and assignee watch them (a rebuild adds earlier assignees).
    INSERT INTO issue_watchers (issue_id, user_id, watching)
      SELECT id, created_by, true FROM issues
      UNION SELECT id, assignee_id, true FROM issues WHERE assignee_id IS NOT NULL
      ON CONFLICT DO NOTHING;
  `,
  `
    DROP TABLE IF EXISTS issue_watchers;
    DROP TABLE IF EXISTS issue_comments;
    ALTER TABLE issue_tombstones DROP COLUMN comment_count;
    ALTER TABLE issues DROP COLUMN comment_count;
  `,
);
