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

/**
 * Runs `migrate` while holding a PostgreSQL advisory lock (per database) on a connection of its own, outside the
 * pool the migrations use. knex's own lock does not cover creating its tables: processes starting together on an
 * empty database race to create `knex_migrations` (one fails) and may each insert a row into
 * `knex_migrations_lock` (after which every start fails with "Migration table is already locked"). The lock dies
 * with its session, so a process killed while migrating holds no one up.
 */
const underMigrationLock = async <T>(knex: Knex, migrate: () => Promise<T>): Promise<T> => {
  const connection = (await knex.client.acquireRawConnection()) as {
    query(sql: string): Promise<unknown>;
    on(event: 'error', listener: () => void): unknown;
  };
  connection.on('error', () => undefined);
  try {
    await connection.query("SELECT pg_advisory_lock(hashtextextended('team-tracker:migrations', 0))");
    return await migrate();
  } finally {
    await knex.client.destroyRawConnection(connection);
  }
};

/** Brings the database up to date; safe to call from several processes at once (one migrates, the others wait). */
export const migrateToLatest = async (knex: Knex, list: MigrationList): Promise<string[]> => {
  const [, applied] = (await underMigrationLock(knex, () =>
    knex.migrate.latest({ migrationSource: new ListSource(list) }),
  )) as [number, string[]];
  return applied;
};

export const rollbackAll = async (knex: Knex, list: MigrationList): Promise<void> => {
  await knex.migrate.rollback({ migrationSource: new ListSource(list) }, true);
};
