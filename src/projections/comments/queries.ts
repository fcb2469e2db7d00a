import type { Knex } from 'knex';
import type { Role } from '../../domain';
import { roleOf } from '../organizations/roles';
import { encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import { lookupById } from '../shared/lookup';
import type { Page, PageRequest } from '../shared/page';
import { readPageRequest, toPage } from '../shared/page';
import { isoTime } from '../shared/sql';
import type { CommentView } from './record';

export type { CommentView } from './record';

interface CommentRow {
  id: string;
  issue_id: string;
  author_id: string;
  author_username: string | null;
  body: string;
  position: string;
  created_at: Date;
  edited_at: Date | null;
}

const COLUMNS = `c.id, c.issue_id, c.author_id, (SELECT u.username FROM users AS u WHERE u.id = c.author_id) AS author_username,
  c.body, c.position, c.created_at, c.edited_at`;

const fromRow = (row: CommentRow): CommentView => ({
  id: row.id,
  issue: row.issue_id,
  author: { id: row.author_id, username: row.author_username },
  body: row.body,
  created_at: isoTime(row.created_at),
  edited_at: row.edited_at === null ? null : isoTime(row.edited_at),
});

const positionKey = (key: ReadonlyArray<unknown>) =>
  key.length === 1 && typeof key[0] === 'string' && key[0].length <= 64;

/**
 * `GET /issues/{id}/comments/`: the issue's live comments, oldest first (in log order of their creation), by keyset
 * pages on that position (an index range scan of `issue_comments_list`); null when the issue is not live or the
 * viewer is not a member of its organization.
 */
export const listComments = async (
  db: Knex,
  issueId: string,
  viewerId: string,
  request: PageRequest = {},
): Promise<Page<CommentView> | null> => {
  const { limit, after } = readPageRequest(request, 'comments', positionKey);
  if (!isUuid(issueId)) return null;
  const issue = (await db('issues').select('organization_id').where({ id: issueId }).first()) as
    | { organization_id: string }
    | undefined;
  if (issue === undefined || (await roleOf(db, issue.organization_id, viewerId)) === null) return null;
  const { rows } = await db.raw<{ rows: CommentRow[] }>(commentPageSql(after !== null), [
    issueId,
    ...(after ? [after[0]!] : []),
    limit + 1,
  ]);
  return toPage(rows, limit, fromRow, (r) => encodeCursor({ ordering: 'comments', key: [r.position] }));
};

/** The SQL of one page (exported so its plan can be checked). */
export const commentPageSql = (afterCursor: boolean): string =>
  `SELECT ${COLUMNS} FROM issue_comments AS c
   WHERE c.issue_id = ?::uuid AND NOT c.deleted ${afterCursor ? 'AND c.position > ?::text COLLATE "C"' : ''}
   ORDER BY c.position
   LIMIT ?`;

/**
 * A live comment, the issue it is on and the viewer's role in its organization; null when there is no such comment
 * (or it was deleted, or its issue was), or the viewer is not a member.
 */
export const commentAccess = lookupById(
  async (db, commentId, viewerId): Promise<{ issueId: string; role: Role; comment: CommentView } | null> => {
    const { rows } = await db.raw<{ rows: (CommentRow & { organization_id: string })[] }>(
      `SELECT ${COLUMNS}, c.organization_id FROM issue_comments AS c
       WHERE c.id = ?::uuid AND NOT c.deleted AND EXISTS (SELECT 1 FROM issues AS i WHERE i.id = c.issue_id)`,
      [commentId],
    );
    const row = rows[0];
    if (row === undefined) return null;
    const role = await roleOf(db, row.organization_id, viewerId);
    return role === null ? null : { issueId: row.issue_id, role, comment: fromRow(row) };
  },
);
