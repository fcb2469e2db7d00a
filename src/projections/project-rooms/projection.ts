import type { CommentEvent, IssueEvent, ProjectEvent } from '../../domain';
import {
  ISSUE_EVENT_TYPES,
  isCommentEvent,
  isWatchEvent,
  issueKey,
  LABEL_EVENT_TYPES,
  nextWatching,
  PROJECT_EVENT_TYPES,
  watchUpdates,
} from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';
import type { ActivityEntry } from '../activity/messages';
import {
  attachmentActivity,
  commentActivity,
  issueActivity,
  projectActivity,
  roomMessage,
} from '../activity/messages';
import { type AttachmentRecord, addedAttachment, attachmentView } from '../attachments/record';
import { liveAttachmentsOf, saveAttachments } from '../attachments/store';
import { type CommentRecord, evolveComment } from '../comments/record';
import {
  type CommentRow,
  commentRecords,
  commentsToLoad,
  loadWatchers,
  saveComments,
  saveWatchers,
} from '../comments/store';
import { isoTime, rowsWhereAnyOf } from '../shared/sql';
import { saveActivity } from '../activity/store';
import { usersMentioned } from '../issues/changes';
import type { IssueRecord } from '../issues/record';
import { evolveIssue } from '../issues/record';
import { type IssueRow, issueRecords, issuesToLoad, saveIssues, type TombstoneRow } from '../issues/store';
import { evolveLabel, type LabelEvent, type LabelRecord } from '../labels/record';
import { loadLabels, saveLabels } from '../labels/store';
import type { Projection, ProjectionContext } from '../projection';
import type { ProjectRecord } from '../projects/record';
import { evolveProject } from '../projects/record';
import { type LoadedProjectRow, projectRecords, projectsToLoad, saveProjects } from '../projects/store';
import { ofTypes, unique } from '../shared/events';
import { usernamesOf, usernamesToLoad } from '../users/usernames';

const EVENT_TYPES = [...PROJECT_EVENT_TYPES, ...ISSUE_EVENT_TYPES, ...LABEL_EVENT_TYPES];
const isIssueEvent = (type: string): boolean => (ISSUE_EVENT_TYPES as readonly string[]).includes(type);
const isLabelEvent = (type: string): boolean => (LABEL_EVENT_TYPES as readonly string[]).includes(type);

/** Applies one event over the records folded so far; returns the new record, or undefined when it is a replay. */
const step = <R extends { revision: number }, E>(
  records: Map<string, R>,
  id: string,
  event: E,
  recorded: RecordedEvent,
  evolve: (record: R | undefined, applied: { event: E; recorded: RecordedEvent }) => R | undefined,
): R | undefined => {
  const current = records.get(id);
  if (recorded.revision <= (current?.revision ?? -1)) return undefined;
  const next = evolve(current, { event, recorded });
  if (next !== undefined) records.set(id, next);
  return next;
};

/** The labels an issue event names, besides those its issue had before it. */
const labelsMentioned = (event: IssueEvent): readonly string[] => {
  switch (event.type) {
    case 'IssueCreated':
    case 'IssueRestored':
      return event.data.labelIds;
    case 'IssueLabelsChanged':
      return [...event.data.labelIds, ...event.data.previousLabelIds];
    default:
      return [];
  }
};

const loadBatch = async (ctx: ProjectionContext, events: readonly RecordedEvent[]) => {
  const issueEvents = ofTypes(events, ISSUE_EVENT_TYPES);
  const projectIds = unique([
    ...ofTypes(events, PROJECT_EVENT_TYPES).map(({ event }) => event.data.projectId),
    // The projects that number the batch's new issues.
    ...issueEvents.flatMap(({ event }) => (event.type === 'IssueCreated' ? [event.data.projectId] : [])),
  ]);
  const issueIds = unique(issueEvents.map(({ event }) => event.data.issueId));
  // The batch's projects, issues and comments as they are before it, and the usernames its events name, in one
  // statement.
  const loaded = await rowsWhereAnyOf<{
    projects: LoadedProjectRow;
    issues: IssueRow;
    tombstones: TombstoneRow;
    comments: CommentRow;
    users: { id: string; username: string };
  }>(ctx.trx, {
    projects: projectsToLoad(ctx.table('projects'), projectIds),
    ...issuesToLoad({ issues: ctx.table('issues'), tombstones: ctx.table('issue_tombstones') }, issueIds),
    comments: commentsToLoad(
      ctx.table('issue_comments'),
      unique(issueEvents.flatMap(({ event }) => (isCommentEvent(event) ? [event.data.commentId] : []))),
    ),
    users: usernamesToLoad(
      ctx.table('users'),
      issueEvents.flatMap(({ event }) => usersMentioned(event)),
    ),
  });
  const projects = projectRecords(loaded.projects);
  const issues = issueRecords(loaded.issues, loaded.tombstones);
  const comments = commentRecords(loaded.comments);
  const usernames = new Map(loaded.users.map((u) => [u.id, u.username]));
  // And those of the users only the rows name (an issue's assignee before the batch, a comment's author): a
  // statement of their own, which a batch of creations never needs.
  const unnamed = [
    ...[...issues.values()].map((r) => r.state.assigneeId),
    ...[...comments.values()].map((c) => c.authorId),
  ].filter((id) => id !== null && !usernames.has(id));
  for (const [id, username] of await usernamesOf(ctx.trx, unnamed, ctx.table('users')))
    usernames.set(id, username);
  // Labels as they are before the batch: the batch's label events are folded in order with its issue events.
  const labels = await loadLabels(ctx.trx, ctx.table('labels'), [
    ...[...issues.values()].flatMap((r) => r.state.labelIds),
    ...issueEvents.flatMap(({ event }) => labelsMentioned(event)),
    ...ofTypes(events, LABEL_EVENT_TYPES).map(({ event }) => event.data.labelId),
  ]);
  // Issues created in this batch have neither watchers nor attachments stored yet: only the others are read (a
  // batch of creations reads neither).
  const watchers = await loadWatchers(
    ctx.trx,
    ctx.table('issue_watchers'),
    unique(
      issueEvents.flatMap(({ event }) =>
        watchUpdates(event).length > 0 && issues.has(event.data.issueId) ? [event.data.issueId] : [],
      ),
    ),
  );
  // The live attachments of the batch's issues: each message shows its issue with them, and a removal shows the
  // attachment as it was added (a deleted issue keeps its attachments: its restoration shows them).
  const attachments = await liveAttachmentsOf(ctx.trx, ctx.table('attachments'), [...issues.keys()]);
  for (const [id, record] of issues) {
    const views = [...attachments.values()]
      .filter((a) => a.issueId === id)
      .sort((a, b) =>
        a.uploadedAt === b.uploadedAt ? (a.id < b.id ? -1 : 1) : a.uploadedAt < b.uploadedAt ? -1 : 1,
      )
      .map(attachmentView);
    issues.set(id, { ...record, attachments: views });
  }
  return { projects, issues, usernames, labels, comments, watchers, attachments };
};

/** Folds one event's watch updates into the batch's watch maps; returns the pairs it changed. */
const foldWatchers = (
  watchers: Map<string, Map<string, boolean>>,
  event: IssueEvent,
  changed: Map<string, unknown>,
) => {
  const watch = watchers.get(event.data.issueId) ?? new Map<string, boolean>();
  watchers.set(event.data.issueId, watch);
  for (const [userId, how] of watchUpdates(event)) {
    const next = nextWatching(watch.get(userId), how);
    if (watch.get(userId) === next) continue;
    watch.set(userId, next);
    changed.set(`${event.data.issueId}/${userId}`, { issueId: event.data.issueId, userId });
  }
};

/** The attachment after its event; undefined for the removal of one never seen. */
const evolveAttachment = (
  attachments: Map<string, AttachmentRecord>,
  event: IssueEvent,
  recorded: RecordedEvent,
): AttachmentRecord | undefined => {
  if (event.type === 'AttachmentAdded') {
    const added = addedAttachment(event, recorded);
    attachments.set(added.id, added);
    return added;
  }
  if (event.type !== 'AttachmentRemoved') return undefined;
  const current = attachments.get(event.data.attachmentId);
  if (current === undefined) return undefined;
  const removed = {
    ...current,
    removedAt: isoTime(recorded.metadata.occurredAt),
    revision: recorded.revision,
  };
  attachments.set(removed.id, removed);
  return removed;
};

/**
 * Numbers a new issue: one past the highest number its project has given, counted here in log order, so numbers
 * are dense, never reused (deleted issues keep theirs), the same on every rebuild, and cost the command side
 * nothing (no write to the project's stream). An unknown count (a project from before numbering) numbers nothing.
 */
const numbered = (record: IssueRecord, projects: Map<string, ProjectRecord>): IssueRecord => {
  const project = projects.get(record.state.projectId);
  if (project === undefined || project.lastIssueNumber === null || project.state.key === '') return record;
  const number = project.lastIssueNumber + 1;
  projects.set(project.state.projectId, { ...project, lastIssueNumber: number });
  return { ...record, number, key: issueKey(project.state.key, number) };
};

/**
 * Everything a project room shows: `projects`, `issues` and the room's feed (`project_activity`). They form one
 * projection because each realtime message needs the project or issue exactly as it was right after its event,
 * which the batch fold has in memory; the feed stores the very message sent. It also numbers issues (`numbered`).
 *
 * It keeps the organizations' labels too (`labels`), folding their events in log order with the issue events, so
 * a message names each label as it was right after its event, however the log is cut into batches.
 *
 * It keeps comments (`issue_comments`, for `comment.*` messages) and who watches each issue (`issue_watchers`, by the
 * domain's rule in `watching.ts`) too; watch events reach no room (watching is personal).
 *
 * It keeps attachments (`attachments`, their metadata; the bytes are in the attachment storage) for the issue views
 * and the `attachment.*` messages.
 *
 * A batch costs a constant number of statements: one read of its projects, issues with tombstones, comments and the
 * usernames its events name; then, each only when there is something to read, the usernames only the rows name,
 * labels, watchers and attachments; and its writes, queued in the batch's `writes` to go as one statement with the
 * checkpoints (a deletion or a restore adds one or two). Usernames come from `users`, which must be applied before
 * this projection.
 */
export const projectRoomsProjection: Projection = {
  name: 'project_rooms',
  tables: [
    'projects',
    'issues',
    'issue_tombstones',
    'project_activity',
    'labels',
    'issue_comments',
    'issue_watchers',
    'attachments',
  ],
  eventTypes: EVENT_TYPES,
  reads: ['users'],
  async apply(events, ctx) {
    const relevant = events.filter((e) => (EVENT_TYPES as readonly string[]).includes(e.type));
    if (relevant.length === 0) return;
    const { projects, issues, usernames, labels, comments, watchers, attachments } = await loadBatch(
      ctx,
      relevant,
    );
    const touchedComments = new Set<string>();
    const changedWatchers = new Map<string, { issueId: string; userId: string }>();
    const touchedAttachments = new Set<string>();
    const touchedProjects = new Set<string>();
    const countedProjects = new Set<string>();
    const touchedIssues = new Set<string>();
    const touchedLabels = new Set<string>();
    const restoredIssues: string[] = [];
    const entries: ActivityEntry[] = [];
    for (const recorded of relevant) {
      if (isLabelEvent(recorded.type)) {
        const labelEvent = { type: recorded.type, data: recorded.data } as LabelEvent;
        const id = labelEvent.data.labelId;
        if (step<LabelRecord, LabelEvent>(labels, id, labelEvent, recorded, evolveLabel))
          touchedLabels.add(id);
      } else if (isIssueEvent(recorded.type)) {
        const issueEvent = { type: recorded.type, data: recorded.data } as IssueEvent;
        const id = issueEvent.data.issueId;
        let after = step<IssueRecord, IssueEvent>(issues, id, issueEvent, recorded, evolveIssue);
        if (after === undefined) continue;
        if (issueEvent.type === 'IssueCreated') {
          after = numbered(after, projects);
          issues.set(id, after);
          countedProjects.add(after.state.projectId);
        }
        touchedIssues.add(id);
        if (issueEvent.type === 'IssueRestored') restoredIssues.push(id);
        foldWatchers(watchers, issueEvent, changedWatchers);
        if (issueEvent.type === 'AttachmentAdded' || issueEvent.type === 'AttachmentRemoved') {
          const attachment = evolveAttachment(attachments, issueEvent, recorded);
          if (attachment === undefined) continue;
          touchedAttachments.add(attachment.id);
          entries.push(attachmentActivity(issueEvent, recorded, attachment));
        } else if (isCommentEvent(issueEvent)) {
          const comment = step<CommentRecord, CommentEvent>(
            comments,
            issueEvent.data.commentId,
            issueEvent,
            recorded,
            evolveComment,
          );
          if (comment === undefined) continue;
          touchedComments.add(comment.id);
          entries.push(commentActivity(issueEvent, recorded, comment, usernames));
        } else if (!isWatchEvent(issueEvent)) {
          // Watching is personal: no room hears of it.
          entries.push(issueActivity(issueEvent, recorded, after, usernames, labels));
        }
      } else {
        const projectEvent = { type: recorded.type, data: recorded.data } as ProjectEvent;
        const id = projectEvent.data.projectId;
        const after = step<ProjectRecord, ProjectEvent>(projects, id, projectEvent, recorded, evolveProject);
        if (after === undefined) continue;
        touchedProjects.add(id);
        const entry = projectActivity(projectEvent, recorded, after);
        if (entry !== null) entries.push(entry);
      }
    }
    // The batch's writes go as one statement (a table of their own each), with the checkpoints.
    const { writes } = ctx;
    await saveProjects(
      writes,
      ctx.table('projects'),
      [...touchedProjects].map((id) => projects.get(id)!),
      [...countedProjects].flatMap((id) => projects.get(id) ?? []),
    );
    await saveIssues(
      writes,
      { issues: ctx.table('issues'), tombstones: ctx.table('issue_tombstones') },
      [...touchedIssues].map((id) => issues.get(id)!),
      restoredIssues,
    );
    await saveLabels(
      writes,
      ctx.table('labels'),
      [...touchedLabels].map((id) => labels.get(id)!),
    );
    await saveComments(
      writes,
      ctx.table('issue_comments'),
      [...touchedComments].map((id) => comments.get(id)!),
    );
    await saveWatchers(
      writes,
      ctx.table('issue_watchers'),
      [...changedWatchers.values()].map((c) => ({
        ...c,
        watching: watchers.get(c.issueId)!.get(c.userId)!,
      })),
    );
    await saveAttachments(
      writes,
      ctx.table('attachments'),
      [...touchedAttachments].map((id) => attachments.get(id)!),
    );
    await saveActivity(writes, ctx.table('project_activity'), entries);
    if (!ctx.rebuilding) for (const entry of entries) ctx.emit(roomMessage(entry));
  },
};
