import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase, testKnex } from '../../../test/support/database';
import { preparedRaw, rowsWhereAnyOf } from './sql';

describe('prepared statements and batched loads', () => {
  let database: TestDatabase;
  let knex: Knex;
  const a = '0190a6f1-0000-7000-8000-00000000000a';
  const b = '0190a6f1-0000-7000-8000-00000000000b';
  const c = '0190a6f1-0000-7000-8000-00000000000c';

  beforeAll(async () => {
    database = await createTestDatabase('tt_sql');
    knex = testKnex(database.url, { max: 1 });
    await knex.raw(`CREATE TABLE owners (id uuid PRIMARY KEY, name text NOT NULL, active boolean NOT NULL)`);
    await knex.raw(`CREATE TABLE pets (owner_id uuid NOT NULL, legs integer NOT NULL)`);
    await knex.raw(`INSERT INTO owners VALUES ('${a}', 'ann', true), ('${b}', 'bob', false)`);
    await knex.raw(`INSERT INTO pets VALUES ('${a}', 4), ('${a}', 2), ('${c}', 8)`);
  });
  afterAll(async () => {
    await knex.destroy();
    await database.drop();
  });

  const prepared = async () =>
    (
      await knex.raw<{ rows: { name: string }[] }>(
        'SELECT name FROM pg_prepared_statements WHERE statement NOT LIKE $$%pg_prepared_statements%$$',
      )
    ).rows.map((r) => r.name);

  it('prepares a text once per connection under a name of its own, and refuses identifiers bound at run time', async () => {
    const sql = 'SELECT name FROM owners WHERE id = ?::uuid';
    for (const id of [a, b, a]) await preparedRaw(knex, sql, [id]);
    const names = await prepared();
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^tt_[0-9a-f]{20}$/);
    expect(
      ((await preparedRaw<{ rows: { name: string }[] }>(knex, sql, [b])) as { rows: { name: string }[] })
        .rows,
    ).toEqual([{ name: 'bob' }]);
    expect(() => preparedRaw(knex, 'SELECT ?? FROM owners', ['name'])).toThrow(/identifiers/);
  });

  it('loads several tables in one statement, keeping uuids, texts, booleans and integers as they are', async () => {
    const loaded = await rowsWhereAnyOf<{
      owners: { id: string; name: string; active: boolean };
      pets: { owner_id: string; legs: number };
      nobody: { id: string };
    }>(knex, {
      owners: { table: 'owners', columns: 'id, name, active', column: 'id', values: [a, b, c] },
      pets: { table: 'pets', columns: 'owner_id, legs', column: 'owner_id', values: [a] },
      nobody: { table: 'owners', columns: 'id', column: 'id', values: [] },
    });
    expect(loaded.owners.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { id: a, name: 'ann', active: true },
      { id: b, name: 'bob', active: false },
    ]);
    expect(loaded.pets.map((p) => p.legs).sort()).toEqual([2, 4]);
    expect(loaded.nobody).toEqual([]);
    expect(
      await rowsWhereAnyOf<{ owners: { id: string } }>(knex, {
        owners: { table: 'owners', columns: 'id', column: 'id', values: [] },
      }),
    ).toEqual({ owners: [] });
  });
});
