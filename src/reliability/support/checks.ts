/**
 * The reliability suites' checks against the log, each returning its failures as sentences (empty: it holds) and
 * how much it looked at:
 *
 * - `settle`: waits until the service has done everything the log asks of it (read models and reactions at the
 *   head, no member removal pending), so what follows compares finished states;
 * - `checkLedger`: every acknowledged request is in the log, every refused one is not, and none is in it twice
 *   (its events, found by correlation id, come from one append);
 * - `checkNotifications`: the notifications recorded are exactly those docs/jobs.md's table gives for the log,
 *   each recipient's inbox numbered densely; the member-removal process released nothing twice;
 * - `checkReadModels`: the live read models equal the log folded from scratch up to their checkpoint;
 * - `checkAppliedOnce`: each read model and reaction has applied each event it handles once (its checkpoint's
 *   `events_applied` against the log up to its checkpoint);
 * - `checkSockets`: each resuming client got exactly its project's feed after where it started, in order.
 */
import type { Knex } from 'knex';
import type { Pool } from 'pg';
import type { EventStore, Position, RecordedEvent } from '../../eventstore/port';
import { START } from '../../eventstore/port';
import { type IssueEvent, nextWatching, watchUpdates } from '../../domain';
import { memberRemovalsReaction } from '../../jobs/member-removals/reaction';
import { notificationsReaction } from '../../jobs/notifications/reaction';
import { reactionCheckpoint } from '../../jobs/reactor/reaction';
import { readModels } from '../../projections/read-models';
import { type LogFold, liveTables, tableDifferences } from './read-models';
import { attemptsLine } from './report';
import { compareWithFeed, type ResumingSocket } from './sockets';
import type { CommandRecord } from './workload';

export interface CheckResult {
  failures: string[];
  /** Events (or rows, or messages) the check compared. */
  checked: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the service is: the log's head, the lowest checkpoint of any read model or reaction, removals pending. */
const progress = async (knex: Knex, store: EventStore) => {
  const head = await store.headPosition();
  const rows = (await knex('projection_checkpoints').select('name', 'position')) as {
    name: string;
    position: Position;
  }[];
  const behind = rows.filter((r) => r.position < head).map((r) => `${r.name} at ${r.position}`);
  const { rows: pending } = await knex.raw<{ rows: { removal: string }[] }>(
    `SELECT format('%s (attempts %s, lease %s, last error %s)', event_id, attempts,
                   coalesce(round(extract(epoch FROM lease_until - now()))::text || ' s', 'none'),
                   coalesce(last_error, 'none')) AS removal
       FROM member_removals WHERE status <> 'done'`,
  );
  return { head, behind, pending: pending.map((r) => r.removal), names: rows.length };
};

/**
 * Waits until the read models and the reactions have applied the whole log and no member removal is pending,
 * twice in a row with the head unchanged (a finishing removal appends releases, which must be applied too).
 */
export const settle = async (
  knex: Knex,
  store: EventStore,
  timeoutMs = 90_000,
  log?: (line: string) => void,
): Promise<CheckResult> => {
  const deadline = Date.now() + timeoutMs;
  let told = Date.now();
  let previous: Position | null = null;
  let last = '';
  for (;;) {
    try {
      const now = await progress(knex, store);
      const quiet = now.behind.length === 0 && now.pending.length === 0 && now.names > 0;
      if (quiet && previous === now.head) return { failures: [], checked: 0 };
      previous = quiet ? now.head : null;
      last = `head ${now.head}; behind: ${now.behind.join(', ') || 'none'}; removals pending: ${now.pending.join(', ') || 'none'}`;
    } catch (error) {
      last = `cannot read progress: ${(error as Error).message}`;
      previous = null;
    }
    if (Date.now() > deadline)
      return { failures: [`the service did not settle in time (${last})`], checked: 0 };
    if (log && Date.now() - told > 5000) {
      told = Date.now();
      log(`  settling: ${last}`);
    }
    await pause(300);
  }
};

interface LoggedEvent {
  correlation: string;
  command: string;
  type: string;
  tx: string;
  stream: string;
}

const ISSUE_UPDATES = new Set([
  'IssueTitleChanged',
  'IssueStatusChanged',
  'IssueAssigned',
  'IssueUnassigned',
  'IssuePriorityChanged',
  'IssueDueDateChanged',
  'IssueDescriptionChanged',
]);

/** What one request's events must be, beyond "one append". */
const shapeProblem = (record: CommandRecord, events: LoggedEvent[]): string | null => {
  const types = events.map((e) => e.type).sort();
  const idempotent = `idempotency:${record.actor.id}:${record.id}`;
  switch (record.kind) {
    case 'create-issue':
    case 'comment':
    case 'add-member':
    case 'remove-member': {
      const type = {
        'create-issue': 'IssueCreated',
        comment: 'CommentAdded',
        'add-member': 'MemberAdded',
        'remove-member': 'MemberRemoved',
      }[record.kind];
      if (types.length !== 1 || types[0] !== type) return `expected one ${type}, found ${types.join(', ')}`;
      if (record.method === 'POST' && events[0]!.command !== idempotent)
        return `its command id is ${events[0]!.command}, not ${idempotent}`;
      return null;
    }
    case 'update-issue': {
      if (types.filter((t) => t === 'IssueTitleChanged').length !== 1)
        return `expected one IssueTitleChanged, found ${types.join(', ')}`;
      if (new Set(types).size !== types.length) return `a field changed twice: ${types.join(', ')}`;
      if (types.some((t) => !ISSUE_UPDATES.has(t))) return `unexpected events: ${types.join(', ')}`;
      const stream = `issue-${record.path.split('/')[4]}`;
      if (events.some((e) => e.stream !== stream)) return `events outside ${stream}`;
      return null;
    }
    default: {
      const unknown: never = record.kind;
      return `unknown kind ${String(unknown)}`;
    }
  }
};

/**
 * Every request of the ledger against the log, by correlation id (each request's `X-Request-Id`, the same on all
 * its attempts): acknowledged → in the log; applied → exactly one append of the right events; refused → nothing.
 */
export const checkLedger = async (pool: Pool, ledger: readonly CommandRecord[]): Promise<CheckResult> => {
  const failures: string[] = [];
  const { rows } = await pool.query<LoggedEvent>(
    `SELECT metadata->>'correlationId' AS correlation, metadata->>'commandId' AS command, type,
            tx_id::text AS tx, stream_id AS stream
       FROM events WHERE metadata->>'correlationId' = ANY($1::text[])`,
    [ledger.map((r) => r.id)],
  );
  const byRequest = new Map<string, LoggedEvent[]>();
  for (const row of rows) byRequest.set(row.correlation, [...(byRequest.get(row.correlation) ?? []), row]);
  for (const record of ledger) {
    const events = byRequest.get(record.id) ?? [];
    const what = `${record.kind} ${record.id} (attempts: ${attemptsLine(record.attempts)})`;
    const appends = new Set(events.map((e) => e.tx)).size;
    if (record.acknowledged && events.length === 0)
      failures.push(`${what}: acknowledged, but not in the log`);
    if (record.applied === true && events.length === 0) failures.push(`${what}: applied, but not in the log`);
    if (record.applied === false && events.length > 0)
      failures.push(`${what}: refused, but in the log (${events.map((e) => e.type).join(', ')})`);
    if (record.applied === null) failures.push(`${what}: never settled`);
    if (appends > 1) failures.push(`${what}: appended ${appends} times`);
    if (events.length > 0 && appends === 1) {
      const problem = shapeProblem(record, events);
      if (problem) failures.push(`${what}: ${problem}`);
    }
  }
  return { failures, checked: rows.length };
};

/** The live read models against the fold (carried forward to their checkpoint). */
export const checkReadModels = async (knex: Knex, fold: LogFold): Promise<CheckResult> => {
  const live = await liveTables(knex);
  await fold.advanceTo(live.position);
  const differences = tableDifferences(live.tables, await fold.tables());
  return {
    failures: differences.map((d) => `read model differs from the rebuild at ${live.position}: ${d}`),
    checked: fold.eventsFolded,
  };
};

/** What each checkpoint row counts: the event types of each read model and of the reactions known here. */
const HANDLED: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ...readModels.map((p) => [p.name, new Set(p.eventTypes)] as const),
  ...[notificationsReaction({ clock: () => new Date() }), memberRemovalsReaction].map(
    (r) => [reactionCheckpoint(r.name), new Set(r.eventTypes)] as const,
  ),
]);

/**
 * "No event applied twice": every batch adds the events it applied to its checkpoint's `events_applied` in the
 * same transaction, so a batch applied again (after a crash or an outage) would count its events twice.
 */
export const checkAppliedOnce = async (pool: Pool, log: readonly RecordedEvent[]): Promise<CheckResult> => {
  const failures: string[] = [];
  const { rows } = await pool.query<{ name: string; position: Position; applied: number }>(
    'SELECT name, position, events_applied::int AS applied FROM projection_checkpoints',
  );
  let checked = 0;
  for (const row of rows) {
    const types = HANDLED.get(row.name);
    // A reaction added since (its event types are not listed above) is still checked by settling at the head.
    if (!types) continue;
    checked += 1;
    const due = log.filter((e) => e.position <= row.position && types.has(e.type)).length;
    if (row.applied !== due)
      failures.push(
        `${row.name} applied ${row.applied} events, the log has ${due} for it up to ${row.position}`,
      );
  }
  const names = new Set(rows.map((r) => r.name));
  const absent = [...HANDLED.keys()].filter((name) => !names.has(name));
  if (absent.length > 0) failures.push(`no checkpoint for ${absent.join(', ')}`);
  return { failures, checked };
};

/** Every event of the log, upcast, in log order. */
export const readWholeLog = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for (let from: Position = START; ; ) {
    const page = await store.readAll({ fromPosition: from, maxCount: 1000 });
    events.push(...page);
    if (page.length < 1000) return events;
    from = page.at(-1)!.position;
  }
};

type Data = Record<string, string | null | undefined>;

/** docs/jobs.md's table, folded over the log: `<event id> <recipient> <kind>` for each notification due. */
export const dueNotifications = (log: readonly RecordedEvent[], origin: Position): Set<string> => {
  const members = new Map<string, Set<string>>();
  const issues = new Map<string, { organization: string; creator: string; assignee: string | null }>();
  const watch = new Map<string, Map<string, boolean>>();
  const due = new Set<string>();
  const membership = (organization: string) => {
    const set = members.get(organization) ?? new Set<string>();
    members.set(organization, set);
    return set;
  };
  for (const event of log) {
    const data = event.data as Data;
    const organization = data.organizationId ?? '';
    const told: [string, Array<string | null | undefined>][] = [];
    const issueId = data.issueId ?? '';
    const issue = issues.get(issueId);
    const watchOf = watch.get(issueId) ?? new Map<string, boolean>();
    watch.set(issueId, watchOf);
    if (issueId)
      for (const [userId, how] of watchUpdates({ type: event.type, data: event.data } as IssueEvent))
        watchOf.set(userId, nextWatching(watchOf.get(userId), how));
    const watchers = [...watchOf].filter(([, on]) => on).map(([userId]) => userId);
    const ids = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);
    switch (event.type) {
      case 'OrganizationCreated':
        membership(organization).add(data.ownerId!);
        break;
      case 'MemberAdded':
        membership(organization).add(data.userId!);
        break;
      case 'MemberRemoved':
        membership(organization).delete(data.userId!);
        break;
      case 'IssueCreated':
        issues.set(issueId, { organization, creator: data.createdBy!, assignee: data.assigneeId ?? null });
        told.push(['issue.assigned', [data.assigneeId]]);
        break;
      case 'IssueRestored':
        issues.set(issueId, { organization, creator: data.createdBy!, assignee: data.assigneeId ?? null });
        told.push(['issue.restored', watchers]);
        break;
      case 'IssueTitleChanged':
        if (issue) told.push(['issue.title_changed', watchers]);
        break;
      case 'IssuePriorityChanged':
        if (issue) told.push(['issue.priority_changed', watchers]);
        break;
      case 'IssueDueDateChanged':
        if (issue) told.push(['issue.due_date_changed', watchers]);
        break;
      case 'IssueStatusChanged':
        if (issue) told.push(['issue.status_changed', watchers]);
        break;
      case 'IssueAssigned':
        if (issue) {
          issue.assignee = data.assigneeId ?? null;
          told.push(['issue.assigned', [data.assigneeId]], ['issue.unassigned', [data.previousAssigneeId]]);
        }
        break;
      case 'IssueUnassigned':
        if (issue) {
          issue.assignee = null;
          told.push(['issue.unassigned', [data.previousAssigneeId]]);
        }
        break;
      case 'IssueDeleted':
        if (issue) told.push(['issue.deleted', watchers]);
        break;
      case 'CommentAdded': {
        const mentioned = ids((event.data as { mentionedIds?: unknown }).mentionedIds);
        if (issue)
          told.push(
            ['comment.mentioned', mentioned],
            ['comment.created', watchers.filter((w) => !mentioned.includes(w))],
          );
        break;
      }
      case 'CommentEdited': {
        const { mentionedIds, previousMentionedIds } = event.data as Record<string, unknown>;
        const before = ids(previousMentionedIds);
        if (issue) told.push(['comment.mentioned', ids(mentionedIds).filter((id) => !before.includes(id))]);
        break;
      }
      default:
        break;
    }
    if (event.position <= origin) continue;
    const org = issues.get(issueId)?.organization ?? organization;
    for (const [kind, recipients] of told) {
      for (const recipient of new Set(recipients)) {
        if (!recipient || recipient === event.metadata.actorId || !membership(org).has(recipient)) continue;
        due.add(`${event.eventId} ${recipient} ${kind}`);
      }
    }
  }
  return due;
};

/**
 * The notifications table against what the log makes due (none lost, none extra, and the unique constraint makes
 * none doubled), dense inbox numbers, and member removals that released each assignment at most once.
 */
export const checkNotifications = async (pool: Pool, log: readonly RecordedEvent[]): Promise<CheckResult> => {
  const failures: string[] = [];
  const { rows: origins } = await pool.query<{ position: Position }>(
    "SELECT position FROM reaction_origins WHERE name = 'notifications'",
  );
  const origin = origins[0]?.position;
  if (!origin) return { failures: ['the notifications reaction has no origin'], checked: 0 };
  const due = dueNotifications(log, origin);
  const { rows } = await pool.query<{ row: string }>(
    `SELECT event_id::text || ' ' || recipient_id::text || ' ' || kind AS row FROM notifications
      WHERE event_id IS NOT NULL`,
  );
  const recorded = new Set(rows.map((r) => r.row));
  if (recorded.size !== rows.length) failures.push('a notification is recorded twice');
  const missing = [...due].filter((n) => !recorded.has(n));
  const extra = [...recorded].filter((n) => !due.has(n));
  if (missing.length > 0)
    failures.push(`${missing.length} notifications lost, e.g. ${missing.slice(0, 3).join('; ')}`);
  if (extra.length > 0)
    failures.push(`${extra.length} notifications not due, e.g. ${extra.slice(0, 3).join('; ')}`);
  const { rows: gaps } = await pool.query<{ recipient: string; n: number; top: number }>(
    `SELECT recipient_id::text AS recipient, count(*)::int AS n, max(seq)::int AS top FROM notifications
      GROUP BY recipient_id HAVING count(*) <> max(seq) OR min(seq) <> 1`,
  );
  for (const g of gaps)
    failures.push(`inbox of ${g.recipient} is not dense: ${g.n} notifications, last ${g.top}`);
  const { rows: doubled } = await pool.query<{ removal: string; issue: string; n: number }>(
    `SELECT metadata->>'causationId' AS removal, stream_id AS issue, count(*)::int AS n FROM events
      WHERE type = 'IssueUnassigned'
        AND metadata->>'causationId' IN (SELECT event_id::text FROM events WHERE type = 'MemberRemoved')
      GROUP BY 1, 2 HAVING count(*) > 1`,
  );
  for (const d of doubled) failures.push(`removal ${d.removal} released ${d.issue} ${d.n} times`);
  return { failures, checked: due.size };
};

/** The project's feed (its activity after `since`), in order. */
const feedOf = async (pool: Pool, projectId: string, since: Position): Promise<string[]> =>
  (
    await pool.query<{ position: string }>(
      'SELECT position FROM project_activity WHERE project_id = $1 AND position > $2 ORDER BY position',
      [projectId, since],
    )
  ).rows.map((r) => r.position);

/**
 * Each client, once it has caught up with its project's feed (bounded wait), got exactly the feed after where it
 * started: no position missed, none twice, none out of order. Also the feed's positions are the log's.
 */
export const checkSockets = async (
  pool: Pool,
  sockets: readonly ResumingSocket[],
  timeoutMs = 30_000,
): Promise<CheckResult> => {
  const failures: string[] = [];
  let checked = 0;
  for (const socket of sockets) {
    let feed = await feedOf(pool, socket.projectId, socket.since);
    const deadline = Date.now() + timeoutMs;
    while ((feed.at(-1) ?? socket.since) > socket.lastPosition && Date.now() < deadline) {
      await pause(100);
      feed = await feedOf(pool, socket.projectId, socket.since);
    }
    const { missing, duplicates, unexpected, outOfOrder } = compareWithFeed(socket.positions, feed);
    const what = `socket ${sockets.indexOf(socket)} on project ${socket.projectId}`;
    if (missing.length > 0)
      failures.push(
        `${what} missed ${missing.length} of ${feed.length} (${socket.connections} connections, last got ` +
          `${socket.lastPosition}): ${missing.slice(0, 3).join(', ')} … ${missing.at(-1)}`,
      );
    if (duplicates.length > 0)
      failures.push(`${what} got ${duplicates.length} twice: ${duplicates.slice(0, 3)}`);
    if (unexpected.length > 0)
      failures.push(`${what} got ${unexpected.length} not in the feed: ${unexpected.slice(0, 3)}`);
    if (outOfOrder > 0) failures.push(`${what} got ${outOfOrder} out of order`);
    failures.push(...socket.complaints.map((c) => `${what}: ${c}`));
    socket.complaints.length = 0;
    checked += socket.positions.length;
  }
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM project_activity a
      WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = a.stream_id AND e.type = a.event_type)`,
  );
  if (rows[0]!.n > 0) failures.push(`${rows[0]!.n} feed entries name no event of the log`);
  return { failures, checked };
};
