import type { AdminEvent } from './admin/events';
import { ADMIN_EVENT_TYPES } from './admin/events';
import type { IssueEvent } from './issue/events';
import { ISSUE_EVENT_TYPES } from './issue/events';
import type { OrganizationEvent } from './organization/events';
import { ORGANIZATION_EVENT_TYPES } from './organization/events';
import type { ProjectEvent } from './project/events';
import { PROJECT_EVENT_TYPES } from './project/events';
import type { UserEvent } from './user/events';
import { USER_EVENT_TYPES } from './user/events';

/** Every event the domain writes, across all aggregates. */
export type DomainEvent = OrganizationEvent | ProjectEvent | IssueEvent | UserEvent | AdminEvent;
export type DomainEventType = DomainEvent['type'];

export const DOMAIN_EVENT_TYPES: readonly DomainEventType[] = [
  ...ORGANIZATION_EVENT_TYPES,
  ...PROJECT_EVENT_TYPES,
  ...ISSUE_EVENT_TYPES,
  ...USER_EVENT_TYPES,
  ...ADMIN_EVENT_TYPES,
];

export const isDomainEventType = (type: string): type is DomainEventType =>
  (DOMAIN_EVENT_TYPES as readonly string[]).includes(type);
