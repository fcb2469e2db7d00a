import type { Knex } from 'knex';

/**
 * The projector's own tables. Positions are `text COLLATE "C"` because the store's fixed-width hex positions
 * compare byte-wise; any other collation could order them differently from the log.
 *
 * - `projection_checkpoints`: one row per projection, the position its live tables reflect, moved in the same
 *   transaction as the batch it belongs to. `state` is 'rebuilding' while a shadow rebuild runs (the live tables
 *   keep being served and updated meanwhile).
 * - `projection_rebuilds`: the progress of a running (or interrupted) shadow rebuild, moved with each shadow batch,
 *   so a rebuild resumes where it stopped.
 */
export const checkpointsMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      CREATE TABLE projection_checkpoints (
        name text PRIMARY KEY,
        position text COLLATE "C" NOT NULL,
        state text NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'rebuilding')),
        events_applied bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE projection_rebuilds (
        name text PRIMARY KEY,
        position text COLLATE "C" NOT NULL,
        events_applied bigint NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  },
  async down(knex) {
    await knex.raw('DROP TABLE IF EXISTS projection_rebuilds; DROP TABLE IF EXISTS projection_checkpoints;');
  },
};

/**
 * Checkpoints record which event store's log they are positions in (`EventStore.kind`): positions of one log
 * mean nothing in another, and a PostgreSQL checkpoint reads as a valid EventStoreDB position. Rows written before
 * this migration are given the store that wrote them: PostgreSQL when its `events` table holds events (an
 * EventStoreDB deployment never writes there), else EventStoreDB. Rows still at the start belong to no store yet.
 */
export const checkpointStoreMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      ALTER TABLE projection_checkpoints ADD COLUMN store text;
      ALTER TABLE projection_rebuilds ADD COLUMN store text;
      UPDATE projection_checkpoints
        SET store = CASE WHEN EXISTS (SELECT 1 FROM events) THEN 'postgresql' ELSE 'eventstoredb' END
        WHERE position <> '0000000000000000-0000000000000000';
      UPDATE projection_rebuilds
        SET store = CASE WHEN EXISTS (SELECT 1 FROM events) THEN 'postgresql' ELSE 'eventstoredb' END
        WHERE position <> '0000000000000000-0000000000000000';
    `);
  },
  async down(knex) {
    await knex.raw(`
      ALTER TABLE projection_rebuilds DROP COLUMN IF EXISTS store;
      ALTER TABLE projection_checkpoints DROP COLUMN IF EXISTS store;
    `);
  },
};

/** The projector's own tables (checkpoints), in order; the composition root places them. */
export const projectorMigrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['0100_projector_checkpoints', checkpointsMigration],
  ['0101_projector_checkpoint_store', checkpointStoreMigration],
];
