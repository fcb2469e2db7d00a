/**
 * The event index (`event_log`): what the audit and admin endpoints and the command-line tool read about the
 * log. Free of HTTP; see docs/audit.md.
 */
export type { IterateOptions, ListOptions } from './list';
export { iterateEvents, listEvents } from './list';
export type { LoggedEvent, StoredPayload } from './present';
export { currentUpcast, presentEvent, withStored } from './present';
export type { EventQuery } from './query';
export { eventLogQuery } from './query';
export type { EventLogRow } from './row';
export { eventLogMigration } from './migration';
export { eventLogProjection } from './projection';
