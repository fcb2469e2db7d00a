import type { Knex } from 'knex';
import type { IssueEvent } from '../../domain';
import { issueStream } from '../../domain';
import type { StreamReader } from '../../eventstore/port';
import { type IssueRecord, evolveIssue } from '../issues/record';
import { type IssueView, issueView } from '../issues/view';
import { roleOf } from '../organizations/roles';
import { decodeCursor, encodeCursor } from '../shared/cursor';
import { isUuid } from '../shared/ids';
import { type Page, type PageRequest, pageLimit, toPage } from '../shared/page';
import { isIsoTime } from '../shared/values';
import { usernamesOf } from '../users/usernames';
import { labelTimeline } from './labels';
import { type AsOf, asPoint, upTo } from './point';

/** How many events a project's issue list as of a point may fold: past it the answer is a clear refusal. */
export const AS_OF_EVENT_BOUND = 20_000;

/** The project's history is too long to replay within the bound (422). */
export class AsOfTooLargeError extends Error {
  override readonly name = 'AsOfTooLargeError';
  constructor(
    readonly events: number,
    readonly bound: number,
  ) {
    super(
      `rebuilding this project's issues as they were means replaying ${events} events, more than the ${bound} one request may replay`,
    );
  }
}

const READS_AT_ONCE = 8;

/**
 * Every issue ever created in the project, with its stream's length: live ones and deleted ones (tombstones keep
 * their project; those deleted before tombstones did are missing until `project_rooms` is rebuilt).
 */
const candidates = async (
  db: Knex,
  projectId: string,
): Promise<{ id: string; events: number; key: string | null }[]> => {
  const { rows } = await db.raw<{ rows: { id: string; revision: number; key: string | null }[] }>(
    `SELECT id, revision, key FROM issues WHERE project_id = ?::uuid
     UNION ALL SELECT id, revision, key FROM issue_tombstones WHERE project_id = ?::uuid`,
    [projectId, projectId],
  );
  return rows.map((r) => ({ id: r.id, events: r.revision + 1, key: r.key }));
};

/** Folds each issue's stream up to the point, a few streams at a time. */
const issuesThen = async (
  streams: StreamReader,
  found: readonly { id: string; key: string | null }[],
  point: AsOf,
): Promise<IssueRecord[]> => {
  const records: IssueRecord[] = [];
  for (let at = 0; at < found.length; at += READS_AT_ONCE) {
    const folded = await Promise.all(
      found.slice(at, at + READS_AT_ONCE).map(async ({ id, key }) => {
        let record: IssueRecord | undefined;
        const recorded = await streams.readStream(issueStream(id));
        for (const { recorded: r } of upTo(
          point,
          recorded.map((r) => ({ recorded: r })),
        )) {
          record = evolveIssue(record, { event: { type: r.type, data: r.data } as IssueEvent, recorded: r });
        }
        return record && { ...record, key };
      }),
    );
    for (const record of folded) if (record !== undefined && !record.state.deleted) records.push(record);
  }
  return records;
};

const ORDERING = 'as_of:-created_at';
const validKey = (key: ReadonlyArray<unknown>) => key.length === 2 && isIsoTime(key[0]) && isUuid(key[1]);

/**
 * `GET /projects/{id}/issues/?as_of=`: the project's issues as they were at the point, newest first, built from
 * the log (each issue's own stream), by keyset pages; null when the viewer is not a member of the project's
 * organization now. Refused with AsOfTooLargeError when it would replay more than `bound` events.
 */
export const projectIssuesAsOf = async (
  db: Knex,
  streams: StreamReader,
  projectId: string,
  viewerId: string,
  asOf: string | AsOf,
  request: PageRequest = {},
  bound = AS_OF_EVENT_BOUND,
): Promise<Page<IssueView> | null> => {
  const point = asPoint(asOf);
  const limit = pageLimit(request.limit);
  const after = request.cursor ? decodeCursor(request.cursor, ORDERING, validKey) : null;
  if (!isUuid(projectId)) return null;
  const project = await db('projects').select('organization_id').where({ id: projectId }).first();
  if (project === undefined || (await roleOf(db, project.organization_id, viewerId)) === null) return null;
  const found = await candidates(db, projectId);
  const events = found.reduce((sum, c) => sum + c.events, 0);
  if (events > bound) throw new AsOfTooLargeError(events, bound);
  const newestFirst = (await issuesThen(streams, found, point))
    .map((record) => ({ record, key: [record.createdAt, record.state.issueId] as const }))
    .sort((a, b) => (a.key[0] === b.key[0] ? (a.key[1] < b.key[1] ? 1 : -1) : a.key[0] < b.key[0] ? 1 : -1))
    .filter(
      ({ key }) =>
        after === null || key[0] < String(after[0]) || (key[0] === after[0] && key[1] < String(after[1])),
    );
  const usernames = await usernamesOf(
    db,
    newestFirst.slice(0, limit).map(({ record }) => record.state.assigneeId),
  );
  const labels = (await labelTimeline(streams, project.organization_id)).at(point);
  return toPage(
    newestFirst.slice(0, limit + 1),
    limit,
    ({ record }) => issueView(record, usernames, labels, viewerId),
    ({ key }) => encodeCursor({ ordering: ORDERING, key: [...key] }),
  );
};
