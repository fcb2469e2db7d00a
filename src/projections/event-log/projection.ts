import { DOMAIN_EVENT_TYPES } from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';
import type { Projection } from '../projection';
import { isUuid } from '../shared/ids';
import { currentUpcast } from './present';
import { insertRows } from '../shared/sql';

const COLUMN_TYPES = {
  position: 'text',
  event_id: 'uuid',
  stream_id: 'text',
  revision: 'integer',
  type: 'text',
  organization_id: 'uuid',
  actor_id: 'uuid',
  occurred_at: 'timestamptz',
  recorded_at: 'timestamptz',
  schema_version: 'integer',
  correlation_id: 'text',
  causation_id: 'text',
  command_id: 'text',
  data: 'jsonb',
  metadata: 'jsonb',
};

/** Organization, project and issue events carry `organizationId`; user and admin events do not. */
const organizationOf = (data: unknown): string | null => {
  const id = (data as { organizationId?: unknown } | null)?.organizationId;
  return isUuid(id) ? id : null;
};

const indexRowOf = (event: RecordedEvent) => ({
  position: event.position,
  event_id: event.eventId,
  stream_id: event.streamId,
  revision: event.revision,
  type: event.type,
  organization_id: organizationOf(event.data),
  actor_id: isUuid(event.metadata.actorId) ? event.metadata.actorId : null,
  occurred_at: event.metadata.occurredAt,
  recorded_at: event.recordedAt,
  schema_version: event.metadata.schemaVersion,
  correlation_id: event.metadata.correlationId ?? null,
  causation_id: event.metadata.causationId ?? null,
  command_id: event.metadata.commandId ?? null,
  data: event.data,
  metadata: event.metadata,
});

/**
 * A read model never refuses an event: what is not a UUID is simply not filterable by it. The payload is raised to
 * today's shapes first (a no-op when the store already upcasts), so the organization is found where it is now.
 */
const indexRow = (recorded: RecordedEvent) => indexRowOf(currentUpcast(recorded));

/**
 * `event_log`: every event the domain knows, one row each, inserted once (a replayed event changes nothing).
 * One statement per batch, whatever its size, queued to go with the checkpoints.
 */
export const eventLogProjection: Projection = {
  name: 'event_log',
  tables: ['event_log'],
  eventTypes: DOMAIN_EVENT_TYPES,
  reads: [],
  async apply(events, ctx) {
    await insertRows(
      ctx.writes,
      ctx.table('event_log'),
      COLUMN_TYPES,
      events.map(indexRow),
      'ON CONFLICT DO NOTHING',
    );
  },
};
