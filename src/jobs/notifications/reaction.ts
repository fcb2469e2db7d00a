import type { Knex } from 'knex';
import { emailRecipients } from '../../accounts/preferences';
import type { DomainEvent } from '../../domain';
import { issueKey, nextWatching, watchUpdates } from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';
import { applied } from '../../projections/shared/events';
import { insertRows, recordset, rowsWhereAnyOf, type WriteBatch, write } from '../../projections/shared/sql';
import type { Clock } from '../job';
import type { Reaction } from '../reactor/reaction';
import { type NotificationDraft, type NotificationKind, notificationMessage } from './model';
import { recordNotifications } from './record';
import { SOMEONE, texts } from './texts';

/** The reaction's own view of an issue, as of the event being read. */
interface IssueParties {
  issueId: string;
  organizationId: string;
  projectId: string;
  title: string;
  createdBy: string;
  assigneeId: string | null;
  deleted: boolean;
  /** `WEB-12`, numbered here as `project_rooms` numbers it (see `ProjectCount`); null when not known. */
  key: string | null;
}

/**
 * A project's key and how many issues it has numbered, counted by the reaction itself in log order exactly as the
 * read model counts them (the same log, the same order, the same rule), so a notification names the issue's key
 * as of its event whether the read models lag behind or not. Projects created before this view existed have no
 * row: their issues are named by title alone.
 */
interface ProjectCount {
  projectId: string;
  key: string;
  lastIssueNumber: number;
}

/** Who gets what for one event, before the actor's name is known. */
interface Intent {
  recorded: RecordedEvent;
  issue: IssueParties;
  kind: NotificationKind;
  recipients: Array<string | null>;
  text(actor: string): string;
}

const ISSUE_TYPES = [
  'IssueCreated',
  'IssueTitleChanged',
  'IssueStatusChanged',
  'IssuePriorityChanged',
  'IssueDueDateChanged',
  'IssueAssigned',
  'IssueUnassigned',
  'IssueDeleted',
  'IssueRestored',
  'CommentAdded',
  'CommentEdited',
  'IssueWatched',
  'IssueUnwatched',
] as const;
const MEMBER_TYPES = ['OrganizationCreated', 'MemberAdded', 'MemberRemoved'] as const;
const PROJECT_TYPES = ['ProjectCreated'] as const;

/** The events the reaction reads (the runner passes it no others). */
type Watched = Extract<
  DomainEvent,
  { type: (typeof ISSUE_TYPES)[number] | (typeof MEMBER_TYPES)[number] | (typeof PROJECT_TYPES)[number] }
>;

/** The batch's slice of the reaction's tables, changed in memory event by event and written back once. */
class Folded {
  readonly issues = new Map<string, IssueParties>();
  readonly changedIssues = new Set<string>();
  readonly projects = new Map<string, ProjectCount>();
  readonly changedProjects = new Set<string>();
  private readonly members = new Map<string, Set<string>>();
  /** (organization, user) → member at the end of the batch. */
  readonly changedMembers = new Map<string, { organizationId: string; userId: string; member: boolean }>();
  /** issue → (user → watching, or explicitly unwatched). */
  private readonly watch = new Map<string, Map<string, boolean>>();
  readonly changedWatch = new Map<string, { issueId: string; userId: string }>();

  static async load(trx: Knex.Transaction, events: readonly Watched[]): Promise<Folded> {
    const folded = new Folded();
    const issueIds = new Set<string>();
    const organizationIds = new Set<string>();
    const projectIds = new Set<string>();
    for (const e of events) {
      organizationIds.add(e.data.organizationId);
      if ('issueId' in e.data) issueIds.add(e.data.issueId);
      if (e.type === 'IssueCreated' || e.type === 'ProjectCreated') projectIds.add(e.data.projectId);
    }
    // One statement for the four tables.
    const { projects, issues, members, watchers } = await rowsWhereAnyOf<{
      projects: { project_id: string; key: string; last_issue_number: number };
      issues: {
        issue_id: string;
        organization_id: string;
        project_id: string;
        title: string;
        created_by: string;
        assignee_id: string | null;
        deleted: boolean;
        key: string | null;
      };
      members: { organization_id: string; user_id: string };
      watchers: { issue_id: string; user_id: string; watching: boolean };
    }>(trx, {
      projects: {
        table: 'notification_projects',
        columns: 'project_id, key, last_issue_number',
        column: 'project_id',
        values: [...projectIds],
      },
      issues: {
        table: 'notification_issues',
        columns: 'issue_id, organization_id, project_id, title, created_by, assignee_id, deleted, key',
        column: 'issue_id',
        values: [...issueIds],
      },
      members: {
        table: 'notification_members',
        columns: 'organization_id, user_id',
        column: 'organization_id',
        values: [...organizationIds],
      },
      watchers: {
        table: 'notification_watchers',
        columns: 'issue_id, user_id, watching',
        column: 'issue_id',
        values: [...issueIds],
      },
    });
    for (const r of projects) {
      folded.projects.set(r.project_id, {
        projectId: r.project_id,
        key: r.key,
        lastIssueNumber: r.last_issue_number,
      });
    }
    for (const r of issues) {
      folded.issues.set(r.issue_id, {
        issueId: r.issue_id,
        organizationId: r.organization_id,
        projectId: r.project_id,
        title: r.title,
        createdBy: r.created_by,
        assigneeId: r.assignee_id,
        deleted: r.deleted,
        key: r.key,
      });
    }
    for (const organizationId of organizationIds) folded.members.set(organizationId, new Set());
    for (const r of members) folded.members.get(r.organization_id)!.add(r.user_id);
    for (const issueId of issueIds) folded.watch.set(issueId, new Map());
    for (const r of watchers) folded.watch.get(r.issue_id)!.set(r.user_id, r.watching);
    return folded;
  }

  /** Folds one event's watch updates (`src/domain/issue/watching.ts`). */
  foldWatching(event: Watched): void {
    if (!('issueId' in event.data)) return;
    const { issueId } = event.data;
    const watch = this.watch.get(issueId) ?? new Map<string, boolean>();
    this.watch.set(issueId, watch);
    for (const [userId, how] of watchUpdates(event as Extract<Watched, { data: { issueId: string } }>)) {
      watch.set(userId, nextWatching(watch.get(userId), how));
      this.changedWatch.set(`${issueId}/${userId}`, { issueId, userId });
    }
  }

  /** Who watches the issue now. */
  watchers(issueId: string): string[] {
    return [...(this.watch.get(issueId) ?? [])].filter(([, watching]) => watching).map(([userId]) => userId);
  }

  isMember(organizationId: string, userId: string): boolean {
    return this.members.get(organizationId)?.has(userId) ?? false;
  }

  setMember(organizationId: string, userId: string, member: boolean): void {
    const set = this.members.get(organizationId) ?? new Set<string>();
    this.members.set(organizationId, set);
    if (member) set.add(userId);
    else set.delete(userId);
    this.changedMembers.set(`${organizationId}/${userId}`, { organizationId, userId, member });
  }

  setIssue(issue: IssueParties): void {
    this.issues.set(issue.issueId, issue);
    this.changedIssues.add(issue.issueId);
  }

  setProject(project: ProjectCount): void {
    this.projects.set(project.projectId, project);
    this.changedProjects.add(project.projectId);
  }

  /** The key of the project's next issue, counting it; null for a project this view never saw created. */
  numberNext(projectId: string): string | null {
    const project = this.projects.get(projectId);
    if (project === undefined) return null;
    const next = { ...project, lastIssueNumber: project.lastIssueNumber + 1 };
    this.setProject(next);
    return issueKey(next.key, next.lastIssueNumber);
  }

  /** Queues the batch's upserts (the rows as one JSON parameter per table) in `writes`. */
  async save(writes: WriteBatch): Promise<void> {
    await insertRows(
      writes,
      'notification_issues',
      {
        issue_id: 'uuid',
        organization_id: 'uuid',
        project_id: 'uuid',
        title: 'text',
        created_by: 'uuid',
        assignee_id: 'uuid',
        deleted: 'boolean',
        key: 'text',
      },
      [...this.changedIssues].map((id) => {
        const i = this.issues.get(id)!;
        return {
          issue_id: i.issueId,
          organization_id: i.organizationId,
          project_id: i.projectId,
          title: i.title,
          created_by: i.createdBy,
          assignee_id: i.assigneeId,
          deleted: i.deleted,
          key: i.key,
        };
      }),
      `ON CONFLICT (issue_id) DO UPDATE SET organization_id = excluded.organization_id,
         project_id = excluded.project_id, title = excluded.title, created_by = excluded.created_by,
         assignee_id = excluded.assignee_id, deleted = excluded.deleted, key = excluded.key`,
    );
    await insertRows(
      writes,
      'notification_projects',
      { project_id: 'uuid', key: 'text', last_issue_number: 'integer' },
      [...this.changedProjects].map((id) => {
        const p = this.projects.get(id)!;
        return { project_id: p.projectId, key: p.key, last_issue_number: p.lastIssueNumber };
      }),
      'ON CONFLICT (project_id) DO UPDATE SET key = excluded.key, last_issue_number = excluded.last_issue_number',
    );
    const changes = [...this.changedMembers.values()];
    const member = (c: (typeof changes)[number]) => ({
      organization_id: c.organizationId,
      user_id: c.userId,
    });
    await insertRows(
      writes,
      'notification_members',
      { organization_id: 'uuid', user_id: 'uuid' },
      changes.filter((c) => c.member).map(member),
      'ON CONFLICT (organization_id, user_id) DO NOTHING',
    );
    const left = changes.filter((c) => !c.member).map(member);
    if (left.length > 0)
      await write(
        writes,
        'notification_members',
        `DELETE FROM notification_members AS m USING jsonb_to_recordset(?::jsonb) AS r(organization_id uuid, user_id uuid)
         WHERE m.organization_id = r.organization_id AND m.user_id = r.user_id`,
        [recordset(left)],
      );
    const watch = [...this.changedWatch.values()].map((c) => ({
      issue_id: c.issueId,
      user_id: c.userId,
      watching: this.watch.get(c.issueId)!.get(c.userId)!,
    }));
    await insertRows(
      writes,
      'notification_watchers',
      { issue_id: 'uuid', user_id: 'uuid', watching: 'boolean' },
      watch,
      'ON CONFLICT (issue_id, user_id) DO UPDATE SET watching = excluded.watching',
    );
  }
}

/**
 * Folds one event into the batch's view and says whom it notifies of what, as of that event (a title as renamed,
 * an assignee as assigned).
 */
const fold = (folded: Folded, recorded: RecordedEvent, event: Watched): Intent[] => {
  const intent = (
    issue: IssueParties,
    kind: NotificationKind,
    recipients: Array<string | null>,
    text: Intent['text'],
  ) => ({
    recorded,
    issue,
    kind,
    recipients,
    text,
  });
  switch (event.type) {
    case 'OrganizationCreated':
      folded.setMember(event.data.organizationId, event.data.ownerId, true);
      return [];
    case 'MemberAdded':
      folded.setMember(event.data.organizationId, event.data.userId, true);
      return [];
    case 'MemberRemoved':
      folded.setMember(event.data.organizationId, event.data.userId, false);
      return [];
    case 'ProjectCreated':
      folded.setProject({ projectId: event.data.projectId, key: event.data.key, lastIssueNumber: 0 });
      return [];
    case 'IssueCreated':
    case 'IssueRestored': {
      folded.foldWatching(event);
      const { issueId, organizationId, projectId, title, createdBy, assigneeId } = event.data;
      // A restore keeps the number the creation gave; a creation takes the project's next.
      const key =
        event.type === 'IssueCreated'
          ? folded.numberNext(projectId)
          : (folded.issues.get(issueId)?.key ?? null);
      const issue = { issueId, organizationId, projectId, title, createdBy, assigneeId, deleted: false, key };
      folded.setIssue(issue);
      if (event.type === 'IssueRestored')
        return [intent(issue, 'issue.restored', folded.watchers(issueId), (a) => texts.restored(a, issue))];
      return [intent(issue, 'issue.assigned', [assigneeId], (a) => texts.created(a, issue))];
    }
    default:
      break;
  }
  if (!('issueId' in event.data)) return [];
  const before = folded.issues.get(event.data.issueId);
  // Every issue event follows its creation in the log, which the reaction has read: none is a defect upstream.
  if (!before) return [];
  folded.foldWatching(event);
  const title = { key: before.key, title: before.title };
  const watchers = folded.watchers(before.issueId);
  switch (event.type) {
    case 'IssueTitleChanged': {
      const issue = { ...before, title: event.data.title };
      folded.setIssue(issue);
      return [
        intent(issue, 'issue.title_changed', watchers, (a) =>
          texts.title(a, { key: before.key, title: event.data.previousTitle }, event.data.title),
        ),
      ];
    }
    case 'IssueStatusChanged':
      return [
        intent(before, 'issue.status_changed', watchers, (a) =>
          texts.status(a, title, event.data.previousStatus, event.data.status),
        ),
      ];
    case 'IssuePriorityChanged':
      return [
        intent(before, 'issue.priority_changed', watchers, (a) =>
          texts.priority(a, title, event.data.previousPriority, event.data.priority),
        ),
      ];
    case 'IssueDueDateChanged':
      return [
        intent(before, 'issue.due_date_changed', watchers, (a) =>
          texts.dueDate(a, title, event.data.dueDate),
        ),
      ];
    case 'IssueAssigned': {
      const issue = { ...before, assigneeId: event.data.assigneeId };
      folded.setIssue(issue);
      return [
        intent(issue, 'issue.assigned', [event.data.assigneeId], (a) => texts.assigned(a, title)),
        intent(issue, 'issue.unassigned', [event.data.previousAssigneeId], (a) => texts.unassigned(a, title)),
      ];
    }
    case 'IssueUnassigned': {
      const issue = { ...before, assigneeId: null };
      folded.setIssue(issue);
      return [
        intent(issue, 'issue.unassigned', [event.data.previousAssigneeId], (a) => texts.unassigned(a, title)),
      ];
    }
    case 'IssueDeleted': {
      const issue = { ...before, deleted: true };
      folded.setIssue(issue);
      return [intent(issue, 'issue.deleted', watchers, (a) => texts.deleted(a, title))];
    }
    case 'CommentAdded': {
      // A mentioned watcher hears of the mention only.
      const mentioned = event.data.mentionedIds;
      return [
        intent(before, 'comment.mentioned', [...mentioned], (a) => texts.mentioned(a, title)),
        intent(
          before,
          'comment.created',
          watchers.filter((w) => !mentioned.includes(w)),
          (a) => texts.commented(a, title),
        ),
      ];
    }
    case 'CommentEdited': {
      // Only those the new version mentions and the previous one did not.
      const newly = event.data.mentionedIds.filter((id) => !event.data.previousMentionedIds.includes(id));
      return [intent(before, 'comment.mentioned', newly, (a) => texts.mentioned(a, title))];
    }
    default:
      return [];
  }
};

export interface NotificationsReactionOptions {
  /** Set when email is configured: notifications also go to the email outbox. */
  email?: { batchWindowMs: number };
  clock: Clock;
}

/**
 * The notifications reaction: who is told what about each issue change (docs/jobs.md has the table). Never the
 * actor about their own change, never someone who is not a member of the issue's organization at that event, at
 * most one notification per recipient and event; recorded in the batch's transaction (with their emails) and
 * pushed to the recipients' rooms after the commit.
 */
export const notificationsReaction = (options: NotificationsReactionOptions): Reaction => ({
  name: 'notifications',
  tables: [
    'notification_issues',
    'notification_members',
    'notification_projects',
    'notification_watchers',
    'notification_inboxes',
    'notifications',
  ],
  eventTypes: [...MEMBER_TYPES, ...PROJECT_TYPES, ...ISSUE_TYPES],
  reads: [],
  async apply(events, ctx) {
    const domain = events.map((recorded) => ({ recorded, event: applied(recorded).event as Watched }));
    const folded = await Folded.load(
      ctx.trx,
      domain.map((d) => d.event),
    );
    const intents: Intent[] = [];
    for (const { recorded, event } of domain) {
      // Membership as of the event: a change made right after someone left is not theirs to hear about.
      const members = (userId: string | null): userId is string =>
        userId !== null && folded.isMember(event.data.organizationId, userId);
      const found = fold(folded, recorded, event);
      if (!ctx.acts(recorded)) continue;
      for (const i of found) {
        const recipients = [...new Set(i.recipients)].filter(
          (r): r is string => r !== recorded.metadata.actorId && members(r),
        );
        if (recipients.length > 0) intents.push({ ...i, recipients });
      }
    }
    // The folded tables go with the checkpoint, in one statement, unless there is more to do here.
    await folded.save(ctx.writes);
    if (intents.length === 0) return;
    await ctx.writes.flush();
    const actors = await emailRecipients(
      ctx.trx,
      intents.flatMap((i) => (i.recorded.metadata.actorId ? [i.recorded.metadata.actorId] : [])),
    );
    const drafts: NotificationDraft[] = intents.flatMap((i) => {
      const actorId = i.recorded.metadata.actorId;
      const message = i.text((actorId && actors.get(actorId)?.username) || SOMEONE);
      return i.recipients.map((recipientId) => ({
        recipientId: recipientId as string,
        kind: i.kind,
        issueId: i.issue.issueId,
        projectId: i.issue.projectId,
        organizationId: i.issue.organizationId,
        message,
        actorId,
        createdAt: i.recorded.metadata.occurredAt,
        event: { id: i.recorded.eventId, position: i.recorded.position },
      }));
    });
    const now = options.clock();
    const stored = await recordNotifications(ctx.trx, drafts, {
      now,
      ...(options.email ? { email: { windowMs: options.email.batchWindowMs } } : {}),
    });
    for (const n of stored) ctx.emit(notificationMessage(n));
  },
});
