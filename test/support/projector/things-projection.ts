import type { Knex } from 'knex';
import type { RecordedEvent } from '../../../src/eventstore/port';
import type { Projection, ProjectionContext } from '../../../src/projections/projection';

/**
 * A test read model with what a rebuild must carry over: a serial key, an identity key, unique and non-unique
 * indexes (one with a hand-picked name), a check constraint, a trigger and a foreign key between its own tables. Writes
 * are set-based (one statement per event type and batch) and not idempotent, so a double application shows in `applications`.
 */
export const THINGS_TABLES = ['things', 'thing_notes'] as const;

export const createThingsTables = async (knex: Knex): Promise<void> => {
  await knex.raw(`
    CREATE TABLE things (
      id serial PRIMARY KEY,
      key text NOT NULL UNIQUE,
      total integer NOT NULL CHECK (total >= 0),
      applications integer NOT NULL
    );
    CREATE INDEX things_by_total ON things (total DESC, id);
    CREATE TABLE thing_notes (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      thing_id integer NOT NULL REFERENCES things (id),
      event_id uuid NOT NULL UNIQUE,
      note text NOT NULL,
      noted_at timestamptz
    );
    CREATE INDEX ON thing_notes (thing_id);
    CREATE FUNCTION thing_noted_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.noted_at := now(); RETURN NEW; END $$;
    CREATE TRIGGER thing_notes_noted_at BEFORE INSERT ON thing_notes FOR EACH ROW EXECUTE FUNCTION thing_noted_at();
  `);
};

const added = async (run: readonly RecordedEvent[], ctx: ProjectionContext) => {
  const byKey = new Map<string, { key: string; total: number; applications: number }>();
  for (const e of run) {
    const data = e.data as { key: string; amount: number };
    const row = byKey.get(data.key) ?? { key: data.key, total: 0, applications: 0 };
    row.total += data.amount;
    row.applications += 1;
    byKey.set(data.key, row);
  }
  await ctx.trx.raw(
    `INSERT INTO "${ctx.table('things')}" AS t (key, total, applications)
     SELECT r.key, r.total, r.applications FROM jsonb_to_recordset(?::jsonb) AS r(key text, total int, applications int)
     ON CONFLICT (key) DO UPDATE SET total = t.total + excluded.total, applications = t.applications + excluded.applications`,
    [JSON.stringify([...byKey.values()])],
  );
};

const noted = async (run: readonly RecordedEvent[], ctx: ProjectionContext) => {
  const rows = run.map((e) => ({ event_id: e.eventId, ...(e.data as { key: string; note: string }) }));
  await ctx.trx.raw(
    `INSERT INTO "${ctx.table('thing_notes')}" (thing_id, event_id, note)
     SELECT t.id, r.event_id, r.note FROM jsonb_to_recordset(?::jsonb) AS r(event_id uuid, key text, note text)
     JOIN "${ctx.table('things')}" t ON t.key = r.key`,
    [JSON.stringify(rows)],
  );
};

export const thingsProjection: Projection = {
  name: 'things',
  tables: THINGS_TABLES,
  eventTypes: ['ThingAdded', 'ThingNoted'],
  async apply(events, ctx) {
    // Two statements per batch: a note only ever names a thing added earlier, so additions can go first.
    const additions = events.filter((e) => e.type === 'ThingAdded');
    const notes = events.filter((e) => e.type === 'ThingNoted');
    if (additions.length > 0) await added(additions, ctx);
    if (notes.length > 0) await noted(notes, ctx);
  },
};

/** The read model's content, for comparing a rebuilt table with what the events say. */
export const thingsContent = async (knex: Knex) => {
  const things = await knex.raw<{ rows: { key: string; total: number; applications: number }[] }>(
    'SELECT key, total, applications FROM things ORDER BY key',
  );
  const notes = await knex.raw<{ rows: { event_id: string; key: string; note: string }[] }>(
    'SELECT n.event_id, t.key, n.note FROM thing_notes n JOIN things t ON t.id = n.thing_id ORDER BY n.event_id',
  );
  // The trigger must have come along with the table.
  const untriggered = await knex.raw<{ rows: { n: number }[] }>(
    'SELECT count(*)::int AS n FROM thing_notes WHERE noted_at IS NULL',
  );
  return { things: things.rows, notes: notes.rows, untriggered: untriggered.rows[0]?.n };
};
