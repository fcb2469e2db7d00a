import type { Knex } from 'knex';
import { ident, recordset } from '../shared/sql';
import type { ActivityEntry } from './messages';

/** One statement per batch; an entry already stored (same position) is left as it is. */
export const saveActivity = async (
  trx: Knex.Transaction,
  table: string,
  entries: readonly ActivityEntry[],
) => {
  if (entries.length === 0) return;
  const rows = entries.map(({ projectId, organizationId, recorded, message }) => ({
    position: recorded.position,
    project_id: projectId,
    organization_id: organizationId,
    stream_id: recorded.streamId,
    event_type: recorded.type,
    actor_id: recorded.metadata.actorId,
    occurred_at: recorded.metadata.occurredAt,
    payload: message,
  }));
  await trx.raw(
    `INSERT INTO ${ident(table)}
       (position, project_id, organization_id, stream_id, event_type, actor_id, occurred_at, payload)
     SELECT r.position, r.project_id, r.organization_id, r.stream_id, r.event_type, r.actor_id, r.occurred_at, r.payload
     FROM jsonb_to_recordset(?::jsonb) AS r(position text, project_id uuid, organization_id uuid, stream_id text,
       event_type text, actor_id text, occurred_at timestamptz, payload jsonb)
     ON CONFLICT (position) DO NOTHING`,
    [recordset(rows)],
  );
};
