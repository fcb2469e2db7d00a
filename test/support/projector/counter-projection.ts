import type { Knex } from 'knex';
import type { RecordedEvent } from '../../../src/eventstore/port';
import type { Projection } from '../../../src/projections/projection';

export const counterTable = (name: string) => `${name}_applied`;

export const createCounterTable = async (knex: Knex, name: string): Promise<void> => {
  await knex.raw(`CREATE TABLE "${counterTable(name)}" (
    event_id uuid PRIMARY KEY,
    position text COLLATE "C" NOT NULL,
    applications integer NOT NULL
  )`);
};

/**
 * A test read model that counts how often each event reached it, in its own table, and emits one realtime
 * message per event. Deliberately not idempotent: an event applied twice shows up as a count of 2.
 */
export const counterProjection = (
  name: string,
  eventTypes: readonly string[],
  options: { after?: string; onApply?: (events: readonly RecordedEvent[]) => void } = {},
): Projection => ({
  name,
  tables: [counterTable(name)],
  eventTypes,
  async apply(events, ctx) {
    options.onApply?.(events);
    // Proves list order: the projection it follows has already applied these events in this transaction.
    if (options.after) {
      const { rows } = await ctx.trx.raw<{ rows: { n: number }[] }>(
        `SELECT count(*)::int AS n FROM "${counterTable(options.after)}" WHERE event_id IN (SELECT (jsonb_array_elements_text(?::jsonb))::uuid)`,
        [JSON.stringify(events.map((e) => e.eventId))],
      );
      if (rows[0]?.n !== events.length) throw new Error(`${name} ran before ${options.after}`);
    }
    await ctx.trx.raw(
      `INSERT INTO "${ctx.table(counterTable(name))}" AS c (event_id, position, applications)
         SELECT r.event_id, r.position, 1 FROM jsonb_to_recordset(?::jsonb) AS r(event_id uuid, position text)
         ON CONFLICT (event_id) DO UPDATE SET applications = c.applications + 1`,
      [JSON.stringify(events.map((e) => ({ event_id: e.eventId, position: e.position })))],
    );
    for (const e of events) {
      ctx.emit({
        room: `counter:${name}`,
        position: e.position,
        message: { type: e.type, position: e.position },
      });
    }
  },
});

export const applicationCounts = async (knex: Knex, name: string): Promise<Map<string, number>> => {
  const { rows } = await knex.raw<{ rows: { event_id: string; applications: number }[] }>(
    `SELECT event_id, applications FROM "${counterTable(name)}"`,
  );
  return new Map(rows.map((r) => [r.event_id, r.applications]));
};
