import type { Knex } from 'knex';
import knexFactory from 'knex';
import type { Client } from 'pg';
import { createTestDatabase, type TestDatabase, testKnex } from '../../test/support/database';
import { recordingWire, wireIndex } from '../../test/support/pg-wire';
import { PipelinedPostgres } from './pipelined';

describe('PipelinedPostgres: knex on pg connections in pipeline mode', () => {
  let database: TestDatabase;
  let knex: Knex;

  beforeAll(async () => {
    database = await createTestDatabase('tt_pipelined');
    knex = testKnex(database.url, { max: 2 });
    await knex.raw('CREATE TABLE things (id int PRIMARY KEY)');
  });

  afterAll(async () => {
    await knex.destroy();
    await database.drop();
  });

  const things = async () => (await knex('things').select('id').orderBy('id')).map((r) => r.id as number);

  it("sends a transaction's first statement behind its BEGIN without waiting for the BEGIN's answer", async () => {
    const seen = await recordingWire(() =>
      knex.transaction(async (trx) => {
        await trx.raw('INSERT INTO things (id) VALUES (1)');
      }),
    );
    expect(wireIndex(seen, 'sent', /^BEGIN;$/)).toBeGreaterThanOrEqual(0);
    expect(wireIndex(seen, 'sent', /^INSERT INTO things/)).toBeLessThan(
      wireIndex(seen, 'answered', /^BEGIN;$/),
    );
    expect(await things()).toEqual([1]);
  });

  it('runs that first statement inside the transaction: a rollback takes it back', async () => {
    await expect(
      knex.transaction(async (trx) => {
        await trx.raw('INSERT INTO things (id) VALUES (2)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await expect(
      knex.transaction(async (trx) => {
        await trx.raw('INSERT INTO things (id) VALUES (3)');
        await trx.raw('INSERT INTO things (id) VALUES (1)');
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await things()).toEqual([1]);
  });

  it('fails a transaction whose BEGIN fails, sends nothing more on it, and drops its connection', async () => {
    const one = testKnex(database.url, { max: 1, quiet: true });
    try {
      // A connection left in an aborted transaction: its next BEGIN fails.
      const broken = (await one.client.acquireConnection()) as Client;
      await broken.query('BEGIN');
      await broken.query('SELECT 1 / 0').catch(() => undefined);
      await one.client.releaseConnection(broken);
      await expect(
        one.transaction(async (trx) => {
          await trx.raw('INSERT INTO things (id) VALUES (7)');
        }),
      ).rejects.toThrow(/current transaction is aborted/);
      const next = (await one.client.acquireConnection()) as Client;
      expect(next).not.toBe(broken);
      await one.client.releaseConnection(next);
      await one.transaction(async (trx) => {
        await trx.raw('INSERT INTO things (id) VALUES (8)');
      });
    } finally {
      await one.destroy();
    }
    expect(await things()).toContain(8);
    expect(await things()).not.toContain(7);
    await knex('things').where({ id: 8 }).delete();
  });

  it('leaves other transactions to knex: an isolation level, read only, nested', async () => {
    const seen = await recordingWire(() =>
      knex.transaction(
        async (trx) => {
          const { rows } = await trx.raw<{ rows: { level: string }[] }>(
            "SELECT current_setting('transaction_isolation') AS level",
          );
          expect(rows[0]!.level).toBe('serializable');
          await trx.transaction(async (inner) => {
            await inner.raw('INSERT INTO things (id) VALUES (4)');
          });
        },
        { isolationLevel: 'serializable' },
      ),
    );
    expect(wireIndex(seen, 'answered', /^BEGIN TRANSACTION ISOLATION LEVEL serializable;$/)).toBeLessThan(
      wireIndex(seen, 'sent', /^SELECT current_setting/),
    );
    expect(wireIndex(seen, 'sent', /^SAVEPOINT/)).toBeGreaterThan(0);
    await expect(
      knex.transaction(async (trx) => trx.raw('INSERT INTO things (id) VALUES (5)'), { readOnly: true }),
    ).rejects.toThrow(/read-only transaction/);
    expect(await things()).toEqual([1, 4]);
  });

  it("waits for the BEGIN's answer on a connection that is not in pipeline mode", async () => {
    const plain = knexFactory({
      client: PipelinedPostgres,
      connection: { connectionString: database.url },
      pool: { min: 0, max: 1 },
    });
    try {
      const seen = await recordingWire(() =>
        plain.transaction(async (trx) => {
          await trx.raw('INSERT INTO things (id) VALUES (6)');
        }),
      );
      expect(wireIndex(seen, 'answered', /^BEGIN;$/)).toBeLessThan(
        wireIndex(seen, 'sent', /^INSERT INTO things/),
      );
    } finally {
      await plain.destroy();
    }
    expect(await things()).toEqual([1, 4, 6]);
  });
});
