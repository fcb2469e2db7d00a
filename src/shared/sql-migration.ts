import type { Knex } from 'knex';

/** A migration written in SQL: what `up` runs, and what `down` runs to undo it. */
export const sqlMigration = (up: string, down: string): Knex.Migration => ({
  async up(knex) {
    await knex.raw(up);
  },
  async down(knex) {
    await knex.raw(down);
  },
});
