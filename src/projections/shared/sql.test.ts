import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase, testKnex } from '../../../test/support/database';
import { direct, insertRows, isoTime, preparedRaw, rowsWhereAnyOf, WriteBatch, write } from './sql';

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

  it('sends a batch of writes to several tables as one statement, with the effect of sending them in order', async () => {
    await knex.raw('CREATE TABLE tallies (id uuid PRIMARY KEY, n integer NOT NULL)');
    await knex.raw('CREATE TABLE notes (id uuid PRIMARY KEY, body text NOT NULL)');
    const sent: string[] = [];
    const log = (query: { sql: string }) => sent.push(query.sql);
    knex.on('query', log);
    try {
      await knex.transaction(async (trx) => {
        const writes = new WriteBatch(trx);
        await insertRows(
          writes,
          'tallies',
          { id: 'uuid', n: 'integer' },
          [{ id: a, n: 1 }],
          'ON CONFLICT DO NOTHING',
        );
        await insertRows(
          writes,
          'notes',
          { id: 'uuid', body: 'text' },
          [{ id: a, body: 'one' }],
          'ON CONFLICT DO NOTHING',
        );
        await insertRows(writes, 'notes', { id: 'uuid', body: 'text' }, [], 'ON CONFLICT DO NOTHING');
        expect(sent.filter((sql) => !/^(BEGIN|COMMIT)/.test(sql))).toEqual([]);
        // A second write to a queued table sends the queue first: it sees the row the first one wrote.
        await write(writes, 'tallies', 'UPDATE tallies SET n = n + 1 WHERE id = ?::uuid', [a]);
        expect(sent.filter((sql) => /tallies|notes/.test(sql))).toHaveLength(1);
        expect(sent.at(-1)).toMatch(/^WITH w0 AS \(INSERT INTO "tallies"[\s\S]*w1 AS \(INSERT INTO "notes"/);
        // What cannot be queued runs on the transaction once the queue is sent.
        const trxNow = await direct(writes);
        expect(trxNow).toBe(trx);
        expect(sent.filter((sql) => /tallies|notes/.test(sql))).toHaveLength(2);
        expect(sent.at(-1)).toMatch(/^UPDATE tallies/);
        await writes.flush();
        expect(sent.filter((sql) => /tallies|notes/.test(sql))).toHaveLength(2);
      });
    } finally {
      knex.off('query', log);
    }
    expect((await knex('tallies').select('id', 'n')).map((r) => ({ ...r }))).toEqual([{ id: a, n: 2 }]);
    expect((await knex('notes').select('id', 'body')).map((r) => ({ ...r }))).toEqual([
      { id: a, body: 'one' },
    ]);
  });

  it('sends a write at once when given a transaction rather than a batch', async () => {
    await knex.transaction(async (trx) => {
      await write(trx, 'tallies', 'INSERT INTO tallies (id, n) VALUES (?::uuid, 3)', [b]);
      expect((await trx('tallies').where({ id: b }).first('n')).n).toBe(3);
    });
  });

  it('brings a timestamp through JSON as text that isoTime reads as the time the driver gives, whatever the session zone', async () => {
    await knex.raw('CREATE TABLE moments (id uuid PRIMARY KEY, at timestamptz NOT NULL)');
    await knex.raw(`INSERT INTO moments VALUES (?::uuid, '2026-03-29T01:30:00.123Z')`, [a]);
    await knex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL TIME ZONE 'Europe/Paris'`);
      const { moments } = await rowsWhereAnyOf<{ moments: { id: string; at: string } }>(trx, {
        moments: { table: 'moments', columns: 'id, at', column: 'id', values: [a] },
      });
      const viaDriver = await trx('moments').first('at');
      expect(typeof moments[0]!.at).toBe('string');
      expect(isoTime(moments[0]!.at)).toBe('2026-03-29T01:30:00.123Z');
      expect(isoTime(viaDriver.at)).toBe('2026-03-29T01:30:00.123Z');
    });
  });
});

describe('isoTime', () => {
  it("writes every form as toISOString's, and takes that form itself as it is", () => {
    const canonical = '2026-03-29T01:30:00.123Z';
    expect(isoTime(canonical)).toBe(canonical);
    expect(isoTime(new Date(canonical))).toBe(canonical);
    expect(isoTime('2026-03-29T03:30:00.123456+02:00')).toBe(canonical);
    expect(isoTime('2026-03-29 01:30:00.123+00')).toBe(canonical);
    expect(isoTime('2026-03-29T01:30:00Z')).toBe('2026-03-29T01:30:00.000Z');
    expect(() => isoTime('not a time')).toThrow(RangeError);
  });
});
