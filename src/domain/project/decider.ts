import { canManage, visibleTo } from '../shared/access';
import type { Decider } from '../shared/decider';
import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import { boundedText, ifGiven, orDefault, trimmedText, validated } from '../shared/validation';
import type { ProjectCommand } from './commands';
import type { ProjectEvent, ProjectUpdated } from './events';

export const PROJECT_NAME_MAX = 255;
export const PROJECT_DESCRIPTION_MAX = 10_000;

export interface Project {
  exists: boolean;
  projectId: string;
  organizationId: string;
  name: string;
  description: string;
  archived: boolean;
}

export const initialState = (): Project => ({
  exists: false,
  projectId: '',
  organizationId: '',
  name: '',
  description: '',
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

const requireExisting = (state: Project): void => {
  if (!state.exists) throw new NotFoundError('project not found');
};

/**
 * Checks run in one order everywhere: visibility (NotFound), permission (Forbidden),
 * input (Validation), current state (IllegalState), and only then "nothing to change" ([]).
 */
export const decide = (command: ProjectCommand, state: Project): ProjectEvent[] => {
  switch (command.type) {
    case 'CreateProject': {
      requireManager(command, 'create');
      const { name, description } = validated({
        name: nameCheck(command.data.name),
        description: orDefault(command.data.description, '', descriptionCheck),
      });
      if (state.exists) throw new IllegalStateError('project already exists');
      const { projectId, organizationId } = command.data;
      return [{ type: 'ProjectCreated', data: { projectId, organizationId, name, description } }];
    }
    case 'UpdateProject': {
      requireExisting(state);
      requireManager(command, 'update');
      const input = validated({
        name: ifGiven(command.data.name, nameCheck),
        description: ifGiven(command.data.description, descriptionCheck),
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
