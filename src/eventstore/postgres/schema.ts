import type { Knex } from 'knex';

/**
 * The event log. `tx_id` is the appending transaction's id (xid8): readers only take events of transactions
 * older than the oldest one still running, ordered by (tx_id, seq), so an append that commits late with a
 * lower `seq` can never be skipped (see docs/event-store.md).
 */
export const eventStoreMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      CREATE TABLE events (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL,
        revision bigint NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tx_id, seq),
        CONSTRAINT events_stream_revision UNIQUE (stream_id, revision)
      );
    `);
  },
  async down(knex) {
    await knex.raw('DROP TABLE IF EXISTS events;');
  },
};

/** The PostgreSQL event store's tables, in order; the composition root places them. */
export const eventStoreMigrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['0001_event_store', eventStoreMigration],
];
