import type { EventStore } from '../eventstore/port';
import { recordAdminAction } from './admin';
import { AggregateRunner, type RunnerOptions } from './aggregate-runner';
import * as comments from './comments';
import * as issues from './issues';
import * as labels from './labels';
import * as organizations from './organizations';
import type { OrganizationCommandDeps } from './organizations';
import * as projects from './projects';
import type { ProjectKeysInUse } from './projects';
import type { CredentialStore } from '../accounts/credentials';
import type { PasswordHasher } from '../accounts/password';
import { registerUser } from './users/register';

export type { CommandContext, CommandResult, RunnerOptions } from './aggregate-runner';
export { AggregateRunner } from './aggregate-runner';
export type { CreateIssueInput } from './issues';
export type { AdminActionInput } from './admin';
export type { AddMemberInput } from './organizations';
export type { ProjectKeysInUse } from './projects';
export type { RegisterInput } from './users/register';

export interface CommandDeps {
  store: EventStore;
  credentials: CredentialStore;
  hasher: PasswordHasher;
  /** How many organizations a user belongs to, and how many they may. */
  memberships: OrganizationCommandDeps['memberships'];
  /**
   * The project keys the read models know in an organization, so a new key never repeats the key of a project
   * created before keys were reserved in the organization's stream (none by default: a log without such projects).
   */
  projectKeysInUse?: ProjectKeysInUse;
  options?: RunnerOptions;
}

/** A handler with its dependencies given: what callers see. */
const given =
  <D, A extends unknown[], R>(handler: (deps: D, ...args: A) => R, deps: D) =>
  (...args: A): R =>
    handler(deps, ...args);

/** Every command the system accepts, bound to its dependencies; what the API and jobs call. */
export const createCommands = (deps: CommandDeps) => {
  const runner = new AggregateRunner(deps.store, deps.options);
  const { credentials, hasher, memberships } = deps;
  const organizationDeps: OrganizationCommandDeps = { runner, credentials, memberships };
  const commentDeps = { runner, credentials };
  const projectDeps = { runner, keysInUse: deps.projectKeysInUse ?? (async () => []) };
  return {
    registerUser: given(registerUser, { runner, credentials, hasher }),
    createOrganization: given(organizations.createOrganization, organizationDeps),
    renameOrganization: given(organizations.renameOrganization, organizationDeps),
    addMember: given(organizations.addMember, organizationDeps),
    changeMemberRole: given(organizations.changeMemberRole, organizationDeps),
    removeMember: given(organizations.removeMember, organizationDeps),
    createProject: given(projects.createProject, projectDeps),
    updateProject: given(projects.updateProject, projectDeps),
    archiveProject: given(projects.archiveProject, projectDeps),
    createLabel: given(labels.createLabel, runner),
    updateLabel: given(labels.updateLabel, runner),
    deleteLabel: given(labels.deleteLabel, runner),
    createIssue: given(issues.createIssue, runner),
    updateIssue: given(issues.updateIssue, runner),
    assignIssue: given(issues.assignIssue, runner),
    unassignIssue: given(issues.unassignIssue, runner),
    deleteIssue: given(issues.deleteIssue, runner),
    restoreIssue: given(issues.restoreIssue, runner),
    addAttachment: given(issues.addAttachment, runner),
    removeAttachment: given(issues.removeAttachment, runner),
    releaseAssignment: given(issues.releaseAssignment, runner),
    releaseLabel: given(issues.releaseLabel, runner),
    addComment: given(comments.addComment, commentDeps),
    editComment: given(comments.editComment, commentDeps),
    deleteComment: given(comments.deleteComment, commentDeps),
    watchIssue: given(comments.watchIssue, commentDeps),
    unwatchIssue: given(comments.unwatchIssue, commentDeps),
    recordAdminAction: given(recordAdminAction, runner),
  };
};

export type Commands = ReturnType<typeof createCommands>;
