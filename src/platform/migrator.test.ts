/**
 * Several processes starting at once on an empty database (two `api` replicas, `ROLE=all` ×2) each bring it up to
 * date: one migrates, the others wait for it and find nothing left to do. None fails, and knex's own lock table
 * keeps its single row (with two, every later start would fail with "Migration table is already locked").
 */
import { createTestDatabase, type TestDatabase, testKnex } from '../../test/support/database';
import { migrations } from '../migrations';
import { migrateToLatest } from './migrator';

describe('migrating from several processes at once', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('tt_migrator');
  });
  afterAll(() => database.drop());

  it('migrates an empty database once, whoever starts first, and every later start still works', async () => {
    const processes = Array.from({ length: 5 }, () => testKnex(database.url, { max: 2, quiet: true }));
    try {
      const applied = await Promise.all(processes.map((knex) => migrateToLatest(knex, migrations)));
      // One of them applied every migration; the others found nothing to do.
      expect(applied.map((names) => names.length).sort((a, b) => b - a)).toEqual([
        migrations.length,
        0,
        0,
        0,
        0,
      ]);
      const knex = processes[0]!;
      const { rows } = await knex.raw<{ rows: { is_locked: number }[] }>(
        'SELECT is_locked FROM knex_migrations_lock',
      );
      expect(rows).toEqual([{ is_locked: 0 }]);
      expect(await migrateToLatest(knex, migrations)).toEqual([]);
    } finally {
      await Promise.all(processes.map((knex) => knex.destroy()));
    }
  });
});
