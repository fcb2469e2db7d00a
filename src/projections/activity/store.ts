import { insertRows, type Writer } from '../shared/sql';
import type { ActivityEntry } from './messages';

const ACTIVITY_COLUMN_TYPES = {
  position: 'text',
  project_id: 'uuid',
  organization_id: 'uuid',
  stream_id: 'text',
  event_type: 'text',
  actor_id: 'text',
  occurred_at: 'timestamptz',
  payload: 'jsonb',
};

const toRow = ({ projectId, organizationId, recorded, message }: ActivityEntry) => ({
  position: recorded.position,
  project_id: projectId,
  organization_id: organizationId,
  stream_id: recorded.streamId,
  event_type: recorded.type,
  actor_id: recorded.metadata.actorId,
  occurred_at: recorded.metadata.occurredAt,
  payload: message,
});

/** One statement per batch; an entry already stored (same position) is left as it is. */
export const saveActivity = (trx: Writer, table: string, entries: readonly ActivityEntry[]) =>
  insertRows(trx, table, ACTIVITY_COLUMN_TYPES, entries.map(toRow), 'ON CONFLICT (position) DO NOTHING');
