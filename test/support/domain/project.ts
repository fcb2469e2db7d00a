import type { Role } from '../../../src/domain/shared/decider';
import type { ArchiveProject, CreateProject, UpdateProject } from '../../../src/domain/project/commands';
import { projectDecider } from '../../../src/domain/project/decider';
import type { ProjectArchived, ProjectCreated, ProjectUpdated } from '../../../src/domain/project/events';
import { by, MANAGER, ORG, PROJECT } from './ids';
import { specFor } from './spec';

export const { given } = specFor(projectDecider);

export const projectCreated = (
  name = 'Apollo',
  description = 'To the moon',
  key = 'APOLLO',
): ProjectCreated => ({
  type: 'ProjectCreated',
  data: { projectId: PROJECT, organizationId: ORG, name, description, key },
});
export const projectUpdated = (changes: ProjectUpdated['data']['changes']): ProjectUpdated => ({
  type: 'ProjectUpdated',
  data: { projectId: PROJECT, organizationId: ORG, changes },
});
export const projectArchived = (): ProjectArchived => ({
  type: 'ProjectArchived',
  data: { projectId: PROJECT, organizationId: ORG },
});

export const createProject = (
  fields: { name: string; description?: string; key?: string },
  actorRole: Role | null = 'manager',
): CreateProject => ({
  type: 'CreateProject',
  data: { projectId: PROJECT, organizationId: ORG, ...fields },
  metadata: by(MANAGER),
  context: { actorRole },
});
export const updateProject = (
  fields: { name?: string; description?: string; key?: string | null },
  actorRole: Role | null = 'manager',
): UpdateProject => ({
  type: 'UpdateProject',
  data: { projectId: PROJECT, ...(fields as { name?: string; description?: string; key?: string }) },
  metadata: by(MANAGER),
  context: { actorRole },
});
export const archiveProject = (actorRole: Role | null = 'manager'): ArchiveProject => ({
  type: 'ArchiveProject',
  data: { projectId: PROJECT },
  metadata: by(MANAGER),
  context: { actorRole },
});
