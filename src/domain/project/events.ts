import type { Event } from '../shared/decider';

export const projectStream = (projectId: string): string => `project-${projectId}`;

/**
 * `key` (schema version 2) is reserved in the organization's stream first (`ProjectKeyReserved`), so it is unique
 * there; version 1 had none, and its upcaster derives one from the name.
 */
export type ProjectCreated = Event<
  'ProjectCreated',
  { projectId: string; organizationId: string; name: string; description: string; key: string }
>;
/** Only the fields that changed are present, each with its value before. */
export type ProjectUpdated = Event<
  'ProjectUpdated',
  {
    projectId: string;
    organizationId: string;
    changes: { name?: { from: string; to: string }; description?: { from: string; to: string } };
  }
>;
export type ProjectArchived = Event<'ProjectArchived', { projectId: string; organizationId: string }>;

export type ProjectEvent = ProjectCreated | ProjectUpdated | ProjectArchived;

export const PROJECT_EVENT_TYPES = [
  'ProjectCreated',
  'ProjectUpdated',
  'ProjectArchived',
] as const satisfies readonly ProjectEvent['type'][];
