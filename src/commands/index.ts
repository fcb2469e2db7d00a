import type { IssuePatch } from '../domain/issue/commands';
import type { Role } from '../domain/shared/decider';
import type { EventStore } from '../eventstore/port';
import { CommandBus, type CommandContext, type HandlerOptions } from './handle';
import * as issues from './issues';
import * as organizations from './organizations';
import type { OrganizationCommandDeps } from './organizations';
import * as projects from './projects';
import type { CredentialStore } from './users/credentials';
import type { PasswordHasher } from './users/password';
import { type RegisterInput, registerUser } from './users/register';

export type { CommandContext, CommandResult } from './handle';
export { CommandBus } from './handle';

export interface CommandDeps {
  store: EventStore;
  credentials: CredentialStore;
  hasher: PasswordHasher;
  /** How many organizations a user belongs to, and how many they may. */
  memberships: OrganizationCommandDeps['memberships'];
  options?: HandlerOptions;
}

/** Every command the system accepts, bound to its dependencies; what the API and jobs call. */
export const createCommands = (deps: CommandDeps) => {
  const bus = new CommandBus(deps.store, deps.options);
  const orgDeps: OrganizationCommandDeps = {
    bus,
    credentials: deps.credentials,
    memberships: deps.memberships,
  };
  return {
    bus,
    registerUser: (input: RegisterInput, context?: Omit<CommandContext, 'actorId' | 'expectedRevision'>) =>
      registerUser({ bus, credentials: deps.credentials, hasher: deps.hasher }, input, context),
    createOrganization: (c: CommandContext, input: { name: string }) =>
      organizations.createOrganization(orgDeps, c, input),
    renameOrganization: (c: CommandContext, organizationId: string, name: string) =>
      organizations.renameOrganization(orgDeps, c, organizationId, name),
    addMember: (
      c: CommandContext,
      organizationId: string,
      input: { userId?: string; username?: string; role: Role },
    ) => organizations.addMember(orgDeps, c, organizationId, input),
    changeMemberRole: (c: CommandContext, organizationId: string, userId: string, role: Role) =>
      organizations.changeMemberRole(orgDeps, c, organizationId, userId, role),
    removeMember: (c: CommandContext, organizationId: string, userId: string) =>
      organizations.removeMember(orgDeps, c, organizationId, userId),
    createProject: (
      c: CommandContext,
      input: { organizationId: string; name: string; description?: string },
    ) => projects.createProject(bus, c, input),
    updateProject: (c: CommandContext, projectId: string, patch: { name?: string; description?: string }) =>
      projects.updateProject(bus, c, projectId, patch),
    archiveProject: (c: CommandContext, projectId: string) => projects.archiveProject(bus, c, projectId),
    createIssue: (c: CommandContext, input: issues.CreateIssueInput) => issues.createIssue(bus, c, input),
    updateIssue: (c: CommandContext, issueId: string, patch: IssuePatch) =>
      issues.updateIssue(bus, c, issueId, patch),
    assignIssue: (c: CommandContext, issueId: string, assigneeId: string) =>
      issues.assignIssue(bus, c, issueId, assigneeId),
    unassignIssue: (c: CommandContext, issueId: string) => issues.unassignIssue(bus, c, issueId),
    deleteIssue: (c: CommandContext, issueId: string) => issues.deleteIssue(bus, c, issueId),
    restoreIssue: (c: CommandContext, issueId: string) => issues.restoreIssue(bus, c, issueId),
    releaseAssignment: (c: CommandContext, issueId: string, formerMemberId: string) =>
      issues.releaseAssignment(bus, c, issueId, formerMemberId),
  };
};

export type Commands = ReturnType<typeof createCommands>;
