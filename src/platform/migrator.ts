import type { Knex } from 'knex';

export type MigrationList = ReadonlyArray<readonly [name: string, migration: Knex.Migration]>;

/** Migrations are code, listed in order, so they run the same from tsx, jest and compiled output. */
class ListSource implements Knex.MigrationSource<readonly [string, Knex.Migration]> {
  constructor(private readonly list: MigrationList) {}
  async getMigrations() {
    return [...this.list];
  }
  getMigrationName(entry: readonly [string, Knex.Migration]) {
    return entry[0];
  }
  async getMigration(entry: readonly [string, Knex.Migration]) {
    return entry[1];
  }
}

/** Brings the database up to date; safe to call from several processes at once (knex takes a lock). */
export const migrateToLatest = async (knex: Knex, list: MigrationList): Promise<string[]> => {
  const [, applied] = (await knex.migrate.latest({ migrationSource: new ListSource(list) })) as [
    number,
    string[],
  ];
  return applied;
};

export const rollbackAll = async (knex: Knex, list: MigrationList): Promise<void> => {
  await knex.migrate.rollback({ migrationSource: new ListSource(list) }, true);
};
