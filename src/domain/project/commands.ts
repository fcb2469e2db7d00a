import type { MembershipContext } from '../shared/access';
import type { Command } from '../shared/decider';

/** Supplied by the command handler from the organization's membership; `actorRole: null` means not a member. */
export type ProjectContext = MembershipContext;

export interface CreateProject
  extends Command<
    'CreateProject',
    { projectId: string; organizationId: string; name: string; description?: string }
  > {
  context: ProjectContext;
}

/** A PATCH: absent fields stay as they are. */
export interface UpdateProject
  extends Command<'UpdateProject', { projectId: string; name?: string; description?: string }> {
  context: ProjectContext;
}

export interface ArchiveProject extends Command<'ArchiveProject', { projectId: string }> {
  context: ProjectContext;
}

export type ProjectCommand = CreateProject | UpdateProject | ArchiveProject;
