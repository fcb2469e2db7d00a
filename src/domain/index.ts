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

export * from './organization';
export * from './project';
export * from './issue';
export * from './user';
export * from './admin';
