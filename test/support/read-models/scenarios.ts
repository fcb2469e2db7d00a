import fc from 'fast-check';
import type { IssuePatch, IssuePriority, IssueStatus, Role } from '../../../src/domain';
import { DomainError } from '../../../src/domain';
import type { World } from './world';

/**
 * Random command sequences for property tests. Targets are picked by index among what exists so far, so most
 * commands are meaningful; the domain refuses the rest (wrong role, archived project, …) and they are skipped.
 */
export type Op =
  | { kind: 'createOrganization'; actor: number }
  | { kind: 'renameOrganization'; actor: number; org: number; name: string }
  | { kind: 'addMember'; actor: number; org: number; user: number; role: Role }
  | { kind: 'changeRole'; actor: number; org: number; user: number; role: Role }
  | { kind: 'removeMember'; actor: number; org: number; user: number }
  | { kind: 'createProject'; actor: number; org: number; name: string }
  | { kind: 'updateProject'; actor: number; project: number; name: string; description: string }
  | { kind: 'archiveProject'; actor: number; project: number }
  | { kind: 'createIssue'; actor: number; project: number; fields: IssueFields }
  | { kind: 'updateIssue'; actor: number; issue: number; patch: IssuePatchPick }
  | { kind: 'deleteIssue'; actor: number; issue: number }
  | { kind: 'createLabel'; actor: number; org: number; name: string }
  | { kind: 'renameLabel'; actor: number; label: number; name: string }
  | { kind: 'deleteLabel'; actor: number; label: number }
  | { kind: 'labelIssue'; actor: number; issue: number; labels: number[] }
  | { kind: 'comment'; actor: number; issue: number; body: string }
  | { kind: 'editComment'; actor: number; comment: number; body: string }
  | { kind: 'deleteComment'; actor: number; comment: number }
  | { kind: 'watch'; actor: number; issue: number; watching: boolean }
  | { kind: 'attach'; actor: number; issue: number; content: string }
  | { kind: 'detach'; actor: number; attachment: number };

interface IssueFields {
  title: string;
  description: string;
  status: IssueStatus;
  priority: IssuePriority;
  dueDate: string | null;
  assignee: number | null;
}
type IssuePatchPick = Partial<Omit<IssuePatch, 'assigneeId'>> & { assignee?: number | null };

const word = fc.constantFrom('alpha', 'beta', 'gamma', 'delta', 'rocket', 'engine');
const role = fc.constantFrom<Role>('owner', 'manager', 'member');
const status = fc.constantFrom<IssueStatus>('open', 'in_progress', 'blocked', 'done');
const priority = fc.constantFrom<IssuePriority>('low', 'medium', 'high', 'critical');
const dueDate = fc.option(fc.constantFrom('2025-01-31', '2025-02-01', '2026-12-24'), { nil: null });
const pick = fc.nat({ max: 50 });

/** An issue's fields: all of them on creation, any of them in a patch. */
const issueFields = {
  title: word,
  description: word,
  status,
  priority,
  dueDate,
  assignee: fc.option(pick, { nil: null }),
};

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('createOrganization' as const), actor: pick }),
  fc.record({ kind: fc.constant('renameOrganization' as const), actor: pick, org: pick, name: word }),
  {
    arbitrary: fc.record({
      kind: fc.constant('addMember' as const),
      actor: pick,
      org: pick,
      user: pick,
      role,
    }),
    weight: 3,
  },
  fc.record({ kind: fc.constant('changeRole' as const), actor: pick, org: pick, user: pick, role }),
  fc.record({ kind: fc.constant('removeMember' as const), actor: pick, org: pick, user: pick }),
  {
    arbitrary: fc.record({ kind: fc.constant('createProject' as const), actor: pick, org: pick, name: word }),
    weight: 2,
  },
  fc.record({
    kind: fc.constant('updateProject' as const),
    actor: pick,
    project: pick,
    name: word,
    description: word,
  }),
  fc.record({ kind: fc.constant('archiveProject' as const), actor: pick, project: pick }),
  {
    arbitrary: fc.record({
      kind: fc.constant('createIssue' as const),
      actor: pick,
      project: pick,
      fields: fc.record(issueFields),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('updateIssue' as const),
      actor: pick,
      issue: pick,
      patch: fc.record(issueFields, { requiredKeys: [] }),
    }),
    weight: 5,
  },
  fc.record({ kind: fc.constant('deleteIssue' as const), actor: pick, issue: pick }),
  fc.record({ kind: fc.constant('createLabel' as const), actor: pick, org: pick, name: word }),
  fc.record({ kind: fc.constant('renameLabel' as const), actor: pick, label: pick, name: word }),
  fc.record({ kind: fc.constant('deleteLabel' as const), actor: pick, label: pick }),
  fc.record({
    kind: fc.constant('labelIssue' as const),
    actor: pick,
    issue: pick,
    labels: fc.array(pick, { maxLength: 3 }),
  }),
  {
    arbitrary: fc.record({ kind: fc.constant('comment' as const), actor: pick, issue: pick, body: word }),
    weight: 2,
  },
  fc.record({ kind: fc.constant('editComment' as const), actor: pick, comment: pick, body: word }),
  fc.record({ kind: fc.constant('deleteComment' as const), actor: pick, comment: pick }),
  fc.record({ kind: fc.constant('watch' as const), actor: pick, issue: pick, watching: fc.boolean() }),
  // Few contents, so that attachments share their bytes (content-addressed keys).
  fc.record({ kind: fc.constant('attach' as const), actor: pick, issue: pick, content: word }),
  fc.record({ kind: fc.constant('detach' as const), actor: pick, attachment: pick }),
);

/** Every scenario starts with two organizations with members and two projects, then goes random. */
export const scenarioArbitrary: fc.Arbitrary<Op[]> = fc
  .array(opArbitrary, { minLength: 5, maxLength: 40 })
  .map((ops) => [
    { kind: 'createOrganization', actor: 0 },
    { kind: 'createOrganization', actor: 1 },
    { kind: 'addMember', actor: 0, org: 0, user: 1, role: 'manager' },
    { kind: 'addMember', actor: 0, org: 0, user: 2, role: 'member' },
    { kind: 'addMember', actor: 0, org: 1, user: 3, role: 'member' },
    { kind: 'createProject', actor: 0, org: 0, name: 'alpha' },
    { kind: 'createProject', actor: 0, org: 1, name: 'beta' },
    ...ops,
  ]);

const at = <T>(list: readonly T[], index: number): T | undefined =>
  list.length === 0 ? undefined : list[index % list.length];

/** What the ops made so far, to pick their targets from, and the users who act. */
interface Made {
  users: readonly string[];
  orgs: { id: string; owner: string }[];
  projects: { id: string; owner: string }[];
  issues: { id: string; owner: string }[];
  labels: { id: string; organizationId: string; owner: string }[];
  comments: { id: string; issueId: string; owner: string }[];
  attachments: { id: string; issueId: string; owner: string }[];
}

// Half of the picks act as the creator of the target, so that most commands are allowed.
const actor = (made: Made, index: number, owner: string | undefined) =>
  index % 2 === 0 && owner ? owner : at(made.users, index)!;

/** Runs one op; false when it had nothing to act on yet. Domain errors propagate. */
const runOp = async (world: World, made: Made, op: Op): Promise<boolean> => {
  const { users, orgs, projects, issues } = made;
  switch (op.kind) {
    case 'createOrganization': {
      const owner = at(users, op.actor)!;
      orgs.push({ id: await world.createOrganization(owner, 'Org'), owner });
      return true;
    }
    case 'renameOrganization': {
      const org = at(orgs, op.org);
      if (!org) return false;
      await world.renameOrganization(actor(made, op.actor, org.owner), org.id, op.name);
      return true;
    }
    case 'addMember':
    case 'changeRole':
    case 'removeMember': {
      const org = at(orgs, op.org);
      if (!org) return false;
      const user = at(users, op.user)!;
      const by = actor(made, op.actor, org.owner);
      if (op.kind === 'addMember') await world.addMember(by, org.id, user, op.role);
      else if (op.kind === 'changeRole') await world.changeRole(by, org.id, user, op.role);
      else await world.removeMember(by, org.id, user);
      return true;
    }
    case 'createProject': {
      const org = at(orgs, op.org);
      if (!org) return false;
      const by = actor(made, op.actor, org.owner);
      projects.push({ id: await world.createProject(by, org.id, op.name), owner: by });
      return true;
    }
    case 'updateProject':
    case 'archiveProject': {
      const project = at(projects, op.project);
      if (!project) return false;
      const by = actor(made, op.actor, project.owner);
      if (op.kind === 'updateProject')
        await world.updateProject(by, project.id, { name: op.name, description: op.description });
      else await world.archiveProject(by, project.id);
      return true;
    }
    case 'createIssue': {
      const project = at(projects, op.project);
      if (!project) return false;
      const by = actor(made, op.actor, project.owner);
      const { assignee, ...fields } = op.fields;
      const assigneeId = assignee === null ? null : at(users, assignee)!;
      issues.push({ id: await world.createIssue(by, project.id, { ...fields, assigneeId }), owner: by });
      return true;
    }
    case 'updateIssue': {
      const issue = at(issues, op.issue);
      if (!issue) return false;
      const { assignee, ...patch } = op.patch;
      const assigneeId = assignee === undefined || assignee === null ? assignee : at(users, assignee)!;
      await world.updateIssue(actor(made, op.actor, issue.owner), issue.id, { ...patch, assigneeId });
      return true;
    }
    case 'deleteIssue': {
      const issue = at(issues, op.issue);
      if (!issue) return false;
      await world.deleteIssue(actor(made, op.actor, issue.owner), issue.id);
      return true;
    }
    case 'createLabel': {
      const org = at(orgs, op.org);
      if (!org) return false;
      const by = actor(made, op.actor, org.owner);
      made.labels.push({
        id: await world.createLabel(by, org.id, op.name),
        organizationId: org.id,
        owner: by,
      });
      return true;
    }
    case 'renameLabel':
    case 'deleteLabel': {
      const label = at(made.labels, op.label);
      if (!label) return false;
      const by = actor(made, op.actor, label.owner);
      if (op.kind === 'renameLabel')
        await world.updateLabel(by, label.organizationId, label.id, { name: op.name });
      else {
        await world.deleteLabel(by, label.organizationId, label.id);
        // As the label-removals process then does, for each issue that carried it.
        for (const issue of issues) await world.releaseLabel(by, issue.id, label.id).catch(() => undefined);
      }
      return true;
    }
    case 'comment': {
      const issue = at(issues, op.issue);
      if (!issue) return false;
      const by = actor(made, op.actor, issue.owner);
      made.comments.push({ id: await world.addComment(by, issue.id, op.body), issueId: issue.id, owner: by });
      return true;
    }
    case 'editComment':
    case 'deleteComment': {
      const comment = at(made.comments, op.comment);
      if (!comment) return false;
      const by = actor(made, op.actor, comment.owner);
      if (op.kind === 'editComment') await world.editComment(by, comment.issueId, comment.id, op.body);
      else await world.deleteComment(by, comment.issueId, comment.id);
      return true;
    }
    case 'watch': {
      const issue = at(issues, op.issue);
      if (!issue) return false;
      await world.watch(at(users, op.actor)!, issue.id, op.watching);
      return true;
    }
    case 'attach': {
      const issue = at(issues, op.issue);
      if (!issue) return false;
      const by = actor(made, op.actor, issue.owner);
      const id = await world.addAttachment(by, issue.id, `${op.content}.txt`, op.content);
      made.attachments.push({ id, issueId: issue.id, owner: by });
      return true;
    }
    case 'detach': {
      const attachment = at(made.attachments, op.attachment);
      if (!attachment) return false;
      await world.removeAttachment(
        actor(made, op.actor, attachment.owner),
        attachment.issueId,
        attachment.id,
      );
      return true;
    }
    case 'labelIssue': {
      const issue = at(issues, op.issue);
      if (!issue) return false;
      const labelIds = op.labels.flatMap((n) => at(made.labels, n)?.id ?? []);
      await world.updateIssue(actor(made, op.actor, issue.owner), issue.id, { labelIds });
      return true;
    }
  }
};

/** Runs the ops against the domain through the World; returns how many were accepted. */
export const runOps = async (world: World, users: readonly string[], ops: readonly Op[]): Promise<number> => {
  const made: Made = {
    users,
    orgs: [],
    projects: [],
    issues: [],
    labels: [],
    comments: [],
    attachments: [],
  };
  let accepted = 0;
  for (const op of ops) {
    try {
      if (await runOp(world, made, op)) accepted += 1;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }
  return accepted;
};
