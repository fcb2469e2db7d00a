import type { MembershipContext } from '../shared/access';
import type { Command } from '../shared/decider';

/** Supplied by the command handler from the organization's membership; `actorRole: null` means not a member. */
export type ProjectContext = MembershipContext;

export interface CreateProject
  extends Command<
    'CreateProject',
    {
      projectId: string;
      organizationId: string;
      name: string;
      description?: string;
      /** The key reserved for it in the organization; derived from the name when absent. */
      key?: string;
    }
  > {
  context: ProjectContext;
}

/** A PATCH: absent fields stay as they are. A key never changes: only the current one is accepted. */
export interface UpdateProject
  extends Command<'UpdateProject', { projectId: string; name?: string; description?: string; key?: string }> {
  context: ProjectContext;
}

export interface ArchiveProject extends Command<'ArchiveProject', { projectId: string }> {
  context: ProjectContext;
}

export type ProjectCommand = CreateProject | UpdateProject | ArchiveProject;
