import { lookupById } from '../shared/lookup';
import type { IssueRow } from './row';
import { issueFromRow, issueSelect } from './row';
import type { IssueView } from './view';

/** An issue with its stream revision (the `ETag`). */
export interface IssueWithRevision {
  issue: IssueView;
  revision: number;
}

/** `GET /issues/{id}/`; null when it does not exist, was deleted, or the viewer is not a member of its organization. */
export const getIssue = lookupById(async (db, issueId, viewerId): Promise<IssueWithRevision | null> => {
  const { rows } = await db.raw<{ rows: IssueRow[] }>(
    `SELECT ${issueSelect('i', viewerId)} FROM issues AS i
     WHERE i.id = ?::uuid
       AND EXISTS (SELECT 1 FROM memberships AS m WHERE m.organization_id = i.organization_id AND m.user_id = ?::uuid)`,
    [issueId, viewerId],
  );
  const row = rows[0];
  return row === undefined ? null : { issue: issueFromRow(row), revision: row.revision };
});
