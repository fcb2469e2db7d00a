/** The domain's public surface: pure deciders, their commands and events, errors, and upcasting. */
export type { Command, CommandMetadata, Decider, Event, Role } from './shared/decider';
export { fold, ROLES } from './shared/decider';
export type { FieldError } from './shared/errors';
export {
  ConcurrencyError,
  DomainError,
  ForbiddenError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from './shared/errors';
export type { MembershipContext } from './shared/access';

export type { DomainEvent, DomainEventType } from './events';
export { DOMAIN_EVENT_TYPES, isDomainEventType } from './events';
export type { StoredPayload, Upcaster } from './upcasters';
export { CURRENT_SCHEMA_VERSION, currentSchemaVersion, UPCASTERS, upcast } from './upcasters';

export * from './organization/events';
export type * from './organization/commands';
export type { Organization } from './organization/decider';
export { authorizeAddMember, ORGANIZATION_NAME_MAX, organizationDecider } from './organization/decider';

export * from './project/events';
export type * from './project/commands';
export type { Project } from './project/decider';
export { PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX, projectDecider } from './project/decider';

export * from './issue/events';
export type * from './issue/commands';
export type { Issue } from './issue/state';
export { issueDecider } from './issue/decider';
export { ISSUE_DESCRIPTION_MAX, ISSUE_TITLE_MAX } from './issue/fields';

export * from './user/events';
export type * from './user/commands';
export type { User } from './user/decider';
export { EMAIL_MAX, USERNAME_MAX, userDecider } from './user/decider';
