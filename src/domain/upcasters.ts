import type { DomainEventType } from './events';
import { isDomainEventType } from './events';
import type { IssueCreated } from './issue/events';
import { ISSUE_PRIORITIES, ISSUE_STATUSES } from './issue/events';
import { deriveProjectKey } from './project/key';
import { isOneOf } from './shared/validation';

/**
 * Turns a stored payload of one schema version into the next version, when events are read.
 * Published event shapes are never edited: a changed shape bumps CURRENT_SCHEMA_VERSION and adds an upcaster.
 */
export interface Upcaster {
  type: string;
  fromSchemaVersion: number;
  upcast(data: unknown): { type: string; data: unknown };
}

/** The version written into each new event's metadata (`schemaVersion`). */
export const CURRENT_SCHEMA_VERSION: Readonly<Record<DomainEventType, number>> = {
  OrganizationCreated: 1,
  OrganizationRenamed: 1,
  MemberAdded: 1,
  MemberRoleChanged: 1,
  MemberRemoved: 1,
  ProjectKeyReserved: 1,
  ProjectKeyReleased: 1,
  LabelCreated: 1,
  LabelUpdated: 1,
  LabelDeleted: 1,
  ProjectCreated: 2,
  ProjectUpdated: 1,
  ProjectArchived: 1,
  IssueCreated: 2,
  IssueTitleChanged: 1,
  IssueDescriptionChanged: 1,
  IssueStatusChanged: 1,
  IssuePriorityChanged: 1,
  IssueDueDateChanged: 1,
  IssueLabelsChanged: 1,
  IssueAssigned: 1,
  IssueUnassigned: 1,
  IssueDeleted: 1,
  IssueRestored: 2,
  CommentAdded: 1,
  CommentEdited: 1,
  CommentDeleted: 1,
  IssueWatched: 1,
  IssueUnwatched: 1,
  AttachmentAdded: 1,
  AttachmentRemoved: 1,
  UserRegistered: 1,
  AdminActionRecorded: 1,
};

/** Types the domain does not know are taken as they are (version 1) rather than refused. */
export const currentSchemaVersion = (type: string): number =>
  isDomainEventType(type) ? CURRENT_SCHEMA_VERSION[type] : 1;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const corrupt = (type: string, version: number, field: string): Error =>
  new Error(`stored ${type} v${version} payload has an unreadable '${field}'`);

const text = (record: Record<string, unknown>, field: string): string => {
  const value = record[field];
  if (typeof value !== 'string') throw corrupt('IssueCreated', 0, field);
  return value;
};

const textOrNull = (record: Record<string, unknown>, field: string): string | null => {
  const value = record[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw corrupt('IssueCreated', 0, field);
  return value;
};

/** Version 0 of IssueCreated was flat with short names: `{ id, project, org, title, body, status, priority, due, assignee, author }`. */
export const issueCreatedV0: Upcaster = {
  type: 'IssueCreated',
  fromSchemaVersion: 0,
  upcast(data) {
    if (!isRecord(data)) throw corrupt('IssueCreated', 0, '(payload)');
    const status = data.status ?? 'open';
    const priority = data.priority ?? 'medium';
    if (!isOneOf(status, ISSUE_STATUSES)) throw corrupt('IssueCreated', 0, 'status');
    if (!isOneOf(priority, ISSUE_PRIORITIES)) throw corrupt('IssueCreated', 0, 'priority');
    const current: Omit<IssueCreated['data'], 'labelIds'> = {
      issueId: text(data, 'id'),
      projectId: text(data, 'project'),
      organizationId: text(data, 'org'),
      title: text(data, 'title'),
      description: textOrNull(data, 'body') ?? '',
      status,
      priority,
      dueDate: textOrNull(data, 'due'),
      assigneeId: textOrNull(data, 'assignee'),
      createdBy: text(data, 'author'),
    };
    return { type: 'IssueCreated', data: current };
  },
};

/** Version 1 of an event that records a whole issue had no labels: it had none. */
const withoutLabelsV1 = (type: 'IssueCreated' | 'IssueRestored'): Upcaster => ({
  type,
  fromSchemaVersion: 1,
  upcast(data) {
    if (!isRecord(data)) throw corrupt(type, 1, '(payload)');
    return { type, data: { ...data, labelIds: [] } };
  },
});
export const issueCreatedV1 = withoutLabelsV1('IssueCreated');
export const issueRestoredV1 = withoutLabelsV1('IssueRestored');

/**
 * Version 1 of ProjectCreated had no key: the key its name suggests, derived the same way by every reader (the
 * read models, `as_of`, the audit), so a rebuild gives the same keys. Such projects have no reservation in their
 * organization's stream; reservations made since check the read models' keys too (docs/decisions.md).
 */
export const projectCreatedV1: Upcaster = {
  type: 'ProjectCreated',
  fromSchemaVersion: 1,
  upcast(data) {
    if (!isRecord(data) || typeof data.name !== 'string') throw corrupt('ProjectCreated', 1, 'name');
    return { type: 'ProjectCreated', data: { ...data, key: deriveProjectKey(data.name) } };
  },
};

export const UPCASTERS: readonly Upcaster[] = [
  issueCreatedV0,
  issueCreatedV1,
  issueRestoredV1,
  projectCreatedV1,
];

export interface StoredPayload {
  type: string;
  schemaVersion: number;
  data: unknown;
}

/**
 * Brings a stored payload up to its type's current schema version, one upcaster per step.
 * A missing step or a version newer than this code knows is a deployment error, so it throws.
 */
export const upcast = (
  stored: StoredPayload,
  upcasters: readonly Upcaster[] = UPCASTERS,
): { type: string; data: unknown } => {
  let { type, schemaVersion: version, data } = stored;
  if (!Number.isInteger(version) || version < 0) throw new Error(`${type} has schema version ${version}`);
  if (version > currentSchemaVersion(type)) {
    throw new Error(`${type} v${version} is newer than this code (v${currentSchemaVersion(type)})`);
  }
  while (version < currentSchemaVersion(type)) {
    const step = upcasters.find((u) => u.type === type && u.fromSchemaVersion === version);
    if (step === undefined) throw new Error(`no upcaster for ${type} v${version}`);
    ({ type, data } = step.upcast(data));
    version += 1;
  }
  return { type, data };
};
