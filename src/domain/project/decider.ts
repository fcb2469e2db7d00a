import { canManage, visibleTo } from '../shared/access';
import type { Decider } from '../shared/decider';
import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import {
  accept,
  boundedText,
  ifGiven,
  orDefault,
  refuse,
  trimmedText,
  validated,
} from '../shared/validation';
import type { CreateProject, ProjectCommand } from './commands';
import type { ProjectEvent, ProjectUpdated } from './events';
import { deriveProjectKey, projectKeyCheck } from './key';

export const PROJECT_NAME_MAX = 255;
export const PROJECT_DESCRIPTION_MAX = 10_000;

export interface Project {
  exists: boolean;
  projectId: string;
  organizationId: string;
  name: string;
  description: string;
  /** `WEB`: its issues are `WEB-1`, `WEB-2`, … Never changes. */
  key: string;
  archived: boolean;
}

export const initialState = (): Project => ({
  exists: false,
  projectId: '',
  organizationId: '',
  name: '',
  description: '',
  key: '',
  archived: false,
});

export const evolve = (state: Project, event: ProjectEvent): Project => {
  switch (event.type) {
    case 'ProjectCreated':
      return {
        exists: true,
        projectId: event.data.projectId,
        organizationId: event.data.organizationId,
        name: event.data.name,
        description: event.data.description,
        key: event.data.key,
        archived: false,
      };
    case 'ProjectUpdated': {
      const { name, description } = event.data.changes;
      return { ...state, name: name?.to ?? state.name, description: description?.to ?? state.description };
    }
    case 'ProjectArchived':
      return { ...state, archived: true };
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

const nameCheck = trimmedText(PROJECT_NAME_MAX);
const descriptionCheck = boundedText(PROJECT_DESCRIPTION_MAX);

const requireManager = (command: ProjectCommand, action: string): void => {
  if (!canManage(visibleTo(command.context, 'project'))) {
    throw new ForbiddenError(`only an owner or a manager may ${action} a project`);
  }
};

/**
 * A client round-tripping the project may send its key back (null while a read model has not derived one yet);
 * another key is refused, never ignored.
 */
const fixedKey = (current: string) => (value: unknown) => {
  if (value === null) return accept(undefined);
  const checked = projectKeyCheck(value);
  if (checked.ok && checked.value !== current) return refuse('is fixed when the project is created');
  return checked;
};

const requireExisting = (state: Project): void => {
  if (!state.exists) throw new NotFoundError('project not found');
};

/**
 * Everything a creation is checked for before the project exists: visibility, permission, then its fields, every
 * refused field at once. The command side asks this before it reserves the key in the organization, so a refused
 * creation reserves nothing.
 */
export const checkCreateProject = (
  command: CreateProject,
): { name: string; description: string; key: string | undefined } => {
  requireManager(command, 'create');
  return validated({
    name: nameCheck(command.data.name),
    description: orDefault(command.data.description, '', descriptionCheck),
    key: ifGiven(command.data.key, projectKeyCheck),
  });
};

/**
 * Checks run in one order everywhere: visibility (NotFound), permission (Forbidden),
 * input (Validation), current state (IllegalState), and only then "nothing to change" ([]).
 */
export const decide = (command: ProjectCommand, state: Project): ProjectEvent[] => {
  switch (command.type) {
    case 'CreateProject': {
      const { name, description, key } = checkCreateProject(command);
      if (state.exists) throw new IllegalStateError('project already exists');
      const { projectId, organizationId } = command.data;
      return [
        {
          type: 'ProjectCreated',
          data: { projectId, organizationId, name, description, key: key ?? deriveProjectKey(name) },
        },
      ];
    }
    case 'UpdateProject': {
      requireExisting(state);
      requireManager(command, 'update');
      const input = validated({
        name: ifGiven(command.data.name, nameCheck),
        description: ifGiven(command.data.description, descriptionCheck),
        key: ifGiven(command.data.key, fixedKey(state.key)),
      });
      if (state.archived) throw new IllegalStateError('project is archived');
      const changes: ProjectUpdated['data']['changes'] = {};
      if (input.name !== undefined && input.name !== state.name) {
        changes.name = { from: state.name, to: input.name };
      }
      if (input.description !== undefined && input.description !== state.description) {
        changes.description = { from: state.description, to: input.description };
      }
      if (changes.name === undefined && changes.description === undefined) return [];
      const { projectId, organizationId } = state;
      return [{ type: 'ProjectUpdated', data: { projectId, organizationId, changes } }];
    }
    case 'ArchiveProject': {
      requireExisting(state);
      requireManager(command, 'archive');
      if (state.archived) return [];
      const { projectId, organizationId } = state;
      return [{ type: 'ProjectArchived', data: { projectId, organizationId } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
};

export const projectDecider: Decider<ProjectCommand, ProjectEvent, Project> = {
  decide,
  evolve,
  initialState,
};
