import { lookupById } from '../shared/lookup';
import { preparedRaw } from '../shared/sql';
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
  // Read after every command on an issue: prepared, since planning it costs several times running it.
  const { rows } = await preparedRaw<{ rows: IssueRow[] }>(
    db,
    `SELECT ${issueSelect('i', { column: 'v.id' })} FROM (SELECT ?::uuid AS id) AS v, issues AS i
     WHERE i.id = ?::uuid
       AND EXISTS (SELECT 1 FROM memberships AS m WHERE m.organization_id = i.organization_id AND m.user_id = v.id)`,
    [viewerId, issueId],
  );
  const row = rows[0];
  return row === undefined ? null : { issue: issueFromRow(row), revision: row.revision };
});
