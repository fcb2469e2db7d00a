import type { Project, ProjectEvent } from '../../domain';
import { projectDecider } from '../../domain';
import type { Applied } from '../shared/events';
import { isoTime } from '../shared/sql';

/** A project as the read model keeps it: the domain's state plus what only the log's metadata knows. */
export interface ProjectRecord {
  state: Project;
  createdAt: string;
  updatedAt: string;
  revision: number;
  /**
   * The highest number given to one of its issues, counted by `project_rooms` as it applies their creations in log
   * order (0 for a new project); null when not known (a row from before numbering, until a rebuild).
   */
  lastIssueNumber: number | null;
}

/** `GET /projects/{id}/`. */
export interface ProjectView {
  id: string;
  organization: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  archived: boolean;
  /** Null while a read model row from before keys has not been rebuilt. */
  key: string | null;
}

/** The record after one event, with the domain's own `evolve`; undefined for an event with no creation before it. */
export const evolveProject = (
  record: ProjectRecord | undefined,
  { event, recorded }: Applied<ProjectEvent>,
): ProjectRecord | undefined => {
  if (record === undefined && event.type !== 'ProjectCreated') return undefined;
  const at = isoTime(recorded.metadata.occurredAt);
  const state = projectDecider.evolve(record?.state ?? projectDecider.initialState(), event);
  return {
    state,
    createdAt: record?.createdAt ?? at,
    updatedAt: at,
    revision: recorded.revision,
    lastIssueNumber: record === undefined ? 0 : record.lastIssueNumber,
  };
};

export const projectView = ({ state, createdAt, updatedAt }: ProjectRecord): ProjectView => ({
  id: state.projectId,
  organization: state.organizationId,
  name: state.name,
  description: state.description,
  created_at: createdAt,
  updated_at: updatedAt,
  archived: state.archived,
  key: state.key || null,
});
