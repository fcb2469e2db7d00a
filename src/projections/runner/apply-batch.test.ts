import { Client } from 'pg';
import { START } from '../../eventstore/port';
import type { Projection } from '../projection';
import { insertRows } from '../shared/sql';
import { applyBatch } from './apply-batch';
import {
  commitNotice,
  ensureCheckpoints,
  projectionSetTag,
  readCheckpoints,
  readCommitNotice,
} from './checkpoints';
import { testKnex } from '../../../test/support/database';
import { recordingWire as recording, wireIndex } from '../../../test/support/pg-wire';
import { event, useHarness } from '../../../test/support/projector/harness';

/** A projection that queues one row per event in `table`, after reading how many rows `peek` holds (if given). */
const queuing = (
  name: string,
  table: string,
  options: { reads?: readonly string[]; peek?: string; seen?: number[] } = {},
): Projection => ({
  name,
  tables: [table],
  eventTypes: ['Thing'],
  ...(options.reads ? { reads: options.reads } : {}),
  async apply(events, ctx) {
    if (options.peek) {
      const { rows } = await ctx.trx.raw<{ rows: { n: number }[] }>(
        `SELECT count(*)::int AS n FROM ${options.peek}`,
      );
      options.seen?.push(rows[0]!.n);
    }
    await insertRows(
      ctx.writes,
      table,
      { position: 'text' },
      events.map((e) => ({ position: e.position })),
      'ON CONFLICT DO NOTHING',
    );
  },
});

/** A connection listening on `channel`, and the payloads it has heard so far. */
const listening = async (url: string, channel: string) => {
  const listener = new Client({ connectionString: url });
  await listener.connect();
  const notified: string[] = [];
  listener.on('notification', (n) => notified.push(n.payload ?? ''));
  await listener.query(`LISTEN ${channel}`);
  return { listener, notified };
};

/** A projection of `Thing` events writing `tables` (nothing read from earlier projections), applying with `apply`. */
const thingProjection = (name: string, tables: string[], apply: Projection['apply']): Projection => ({
  name,
  tables,
  eventTypes: ['Thing'],
  reads: [],
  apply,
});

describe('applyBatch: the writes projections queue', () => {
  const h = useHarness('tt_apply_batch', {
    prepare: async (h) => {
      for (const table of ['firsts', 'seconds', 'thirds'])
        await h.knex.raw(`CREATE TABLE ${table} (position text PRIMARY KEY)`);
    },
  });

  const batch = async (count: number) => {
    await h.append(
      `thing-${Date.now()}`,
      Array.from({ length: count }, () => event('Thing')),
    );
    // The whole log: each projection takes what is above its own checkpoint.
    return h.store.readAll({ fromPosition: START });
  };

  it('go with the checkpoints and their NOTIFY in one statement when no later projection reads them', async () => {
    const projections = [queuing('one', 'firsts', { reads: [] }), queuing('two', 'seconds', { reads: [] })];
    await ensureCheckpoints(
      h.knex,
      projections.map((p) => p.name),
    );
    const events = await batch(3);
    const { listener, notified } = await listening(h.database.url, 'tt_apply_batch_test');
    const sent = await recording(() =>
      applyBatch({ knex: h.knex, projections, events, channel: 'tt_apply_batch_test' }),
    );
    const last = events.at(-1)!.position;
    // BEGIN, the checkpoints' lock, one statement for everything else, COMMIT.
    const statements = sent.filter((s) => s.startsWith('sent ')).map((s) => s.slice(5));
    expect(statements).toHaveLength(4);
    expect(statements[2]).toMatch(/^WITH w0 AS \(INSERT INTO "firsts"[\s\S]*w1 AS \(INSERT INTO "seconds"/);
    expect(statements[2]).toMatch(/w2 AS \(INSERT INTO projection_checkpoints[\s\S]*SELECT pg_notify\(/);
    expect(await h.knex('firsts').count<{ count: string }[]>('* as count')).toEqual([{ count: '3' }]);
    expect(await h.knex('seconds').count<{ count: string }[]>('* as count')).toEqual([{ count: '3' }]);
    const checkpoints = await readCheckpoints(h.knex, ['one', 'two']);
    expect(checkpoints.map((c) => [c.name, c.position, c.eventsApplied])).toEqual([
      ['one', last, 3],
      ['two', last, 3],
    ]);
    for (let i = 0; i < 50 && notified.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await listener.end();
    expect(notified).toEqual([commitNotice(last, ['one', 'two'])]);
  });

  it('are sent before a later projection that reads their table (or says nothing of what it reads) runs', async () => {
    const seenByReader: number[] = [];
    const seenByUnsaid: number[] = [];
    const seenByOther: number[] = [];
    const projections = [
      queuing('a-first', 'firsts', { reads: [] }),
      // Declares a table nothing queued: the queue waits, so its look at firsts sees them as before the batch.
      queuing('b-other', 'seconds', { reads: ['seconds'], peek: 'firsts', seen: seenByOther }),
      queuing('c-reader', 'thirds', { reads: ['firsts'], peek: 'firsts', seen: seenByReader }),
    ];
    await ensureCheckpoints(
      h.knex,
      projections.map((p) => p.name),
    );
    const before = Number((await h.knex('firsts').count<{ count: string }[]>('* as count'))[0]!.count);
    const events = await batch(2);
    await applyBatch({ knex: h.knex, projections, events, channel: 'tt_apply_batch_test' });
    expect(seenByOther).toEqual([before]);
    expect(seenByReader).toEqual([before + 2]);

    const unsaid = [
      queuing('d-first', 'firsts', { reads: [] }),
      queuing('e-unsaid', 'seconds', { peek: 'firsts', seen: seenByUnsaid }),
    ];
    await ensureCheckpoints(
      h.knex,
      unsaid.map((p) => p.name),
    );
    const more = await batch(1);
    await applyBatch({ knex: h.knex, projections: unsaid, events: more, channel: 'tt_apply_batch_test' });
    // d-first starts at the log's start: it queued every event of the log, sent before e-unsaid looked.
    expect(seenByUnsaid).toEqual([more.length]);
  });
});

describe('applyBatch: round trips', () => {
  const h = useHarness('tt_apply_pipeline', {
    prepare: async (h) => {
      await h.knex.raw('CREATE TABLE firsts (position text PRIMARY KEY)');
      await h.knex.raw('CREATE TABLE strict (position text PRIMARY KEY)');
    },
  });

  const batch = async (count: number) => {
    await h.append(
      `thing-${Date.now()}-${Math.random()}`,
      Array.from({ length: count }, () => event('Thing')),
    );
    return h.store.readAll({ fromPosition: START });
  };

  const expectedOf = async (names: string[]) =>
    new Map((await readCheckpoints(h.knex, names)).map((c) => [c.name, c.position]));

  it("send the first read behind the checkpoints' locks, and the COMMIT behind the last write, without waiting", async () => {
    const projections = [queuing('pipe', 'firsts', { reads: [], peek: 'firsts', seen: [] })];
    await ensureCheckpoints(h.knex, ['pipe']);
    const events = await batch(2);
    const expected = await expectedOf(['pipe']);
    const seen = await recording(() =>
      applyBatch({ knex: h.knex, projections, events, expected, channel: 'tt_apply_pipeline' }),
    );
    const lock = /FOR UPDATE$/;
    const read = /^SELECT count\(\*\)::int AS n FROM firsts$/;
    const last = /pg_notify/;
    for (const [kind, pattern] of [
      ['sent', lock],
      ['answered', lock],
      ['sent', read],
      ['sent', last],
      ['answered', last],
      ['sent', /^COMMIT;?$/],
    ] as const)
      expect(wireIndex(seen, kind, pattern)).toBeGreaterThanOrEqual(0);
    // The server runs them in the order sent: the read once the locks are held, the COMMIT after the write.
    expect(wireIndex(seen, 'sent', lock)).toBeLessThan(wireIndex(seen, 'sent', read));
    expect(wireIndex(seen, 'sent', read)).toBeLessThan(wireIndex(seen, 'answered', lock));
    expect(wireIndex(seen, 'sent', last)).toBeLessThan(wireIndex(seen, 'sent', /^COMMIT;?$/));
    expect(wireIndex(seen, 'sent', /^COMMIT;?$/)).toBeLessThan(wireIndex(seen, 'answered', last));
    expect((await readCheckpoints(h.knex, ['pipe']))[0]).toMatchObject({
      position: events.at(-1)!.position,
      eventsApplied: events.length,
    });
  });

  it('do the batch again from the locked checkpoints when they are not the ones expected', async () => {
    const handed: number[] = [];
    const counting: Projection = {
      ...queuing('again', 'firsts', { reads: [] }),
      async apply(events, ctx) {
        handed.push(events.length);
        await queuing('again', 'firsts', { reads: [] }).apply(events, ctx);
      },
    };
    await ensureCheckpoints(h.knex, ['again']);
    const first = await batch(2);
    await applyBatch({ knex: h.knex, projections: [counting], events: first, channel: 'tt_apply_pipeline' });
    const all = await batch(1);
    // Stale: another runner (or a rebuild's swap) has moved the checkpoint since.
    const result = await applyBatch({
      knex: h.knex,
      projections: [counting],
      events: all,
      expected: new Map([['again', START]]),
      channel: 'tt_apply_pipeline',
    });
    expect(handed).toEqual([first.length, all.length, 1]);
    expect(result.applied).toBe(1);
    expect(result.checkpoints).toEqual(new Map([['again', all.at(-1)!.position]]));
    // The attempt from the stale checkpoint was rolled back: each event counted once.
    expect((await readCheckpoints(h.knex, ['again']))[0]!.eventsApplied).toBe(all.length);
  });

  it('roll the batch back when the last write fails, though the COMMIT went out behind it', async () => {
    const failing = thingProjection('failing', ['firsts'], async (_events, ctx) => {
      await ctx.writes.add('firsts', 'INSERT INTO firsts (position) VALUES (?::int::text)', ['not a number']);
    });
    const fine = queuing('fine', 'firsts', { reads: [] });
    await ensureCheckpoints(h.knex, ['failing', 'fine']);
    const before = await expectedOf(['failing', 'fine']);
    const rows = Number((await h.knex('firsts').count<{ count: string }[]>('* as count'))[0]!.count);
    const events = await batch(1);
    const { listener, notified } = await listening(h.database.url, 'tt_apply_pipeline');
    try {
      await expect(
        applyBatch({
          knex: h.knex,
          projections: [fine, failing],
          events,
          expected: before,
          channel: 'tt_apply_pipeline',
        }),
      ).rejects.toThrow(/invalid input syntax for type integer/);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await listener.end();
    }
    expect(notified).toEqual([]);
    expect(await expectedOf(['failing', 'fine'])).toEqual(before);
    expect(Number((await h.knex('firsts').count<{ count: string }[]>('* as count'))[0]!.count)).toBe(rows);
    // The pool's connections are fine afterwards.
    await applyBatch({ knex: h.knex, projections: [fine], events, channel: 'tt_apply_pipeline' });
    expect((await expectedOf(['fine'])).get('fine')).toBe(events.at(-1)!.position);
  });

  /** One row per event, without ON CONFLICT: an event applied twice fails the batch (a duplicate key). */
  const strict = (name: string): Projection => ({
    name,
    tables: ['strict'],
    eventTypes: ['Thing'],
    async apply(events, ctx) {
      await ctx.trx.raw('INSERT INTO strict (position) SELECT jsonb_array_elements_text(?::jsonb)', [
        JSON.stringify(events.map((e) => e.position)),
      ]);
    },
  });

  it('do the batch again when a projection failed on events it was given from moved checkpoints', async () => {
    await ensureCheckpoints(h.knex, ['strict-one']);
    const first = await batch(2);
    await applyBatch({
      knex: h.knex,
      projections: [strict('strict-one')],
      events: first,
      channel: 'tt_apply_pipeline',
    });
    const all = await batch(1);
    const result = await applyBatch({
      knex: h.knex,
      projections: [strict('strict-one')],
      events: all,
      expected: new Map([['strict-one', START]]),
      channel: 'tt_apply_pipeline',
    });
    expect(result.applied).toBe(1);
    expect((await readCheckpoints(h.knex, ['strict-one']))[0]!.eventsApplied).toBe(all.length);
  });

  it('roll the batch back when a value of the last write cannot be sent, though the COMMIT follows it', async () => {
    const unsendable = thingProjection('unsendable', ['firsts'], async (events, ctx) => {
      // Sent at once, in the transaction: it must not be committed without the rest.
      await ctx.trx.raw('INSERT INTO firsts (position) VALUES (?)', [`sent-first-${events[0]!.position}`]);
      // A value pg cannot convert fails on the client, before the server hears of the statement.
      const unconvertible = {
        toPostgres: () => {
          throw new Error('no way to send this');
        },
      };
      await ctx.writes.add('firsts', 'INSERT INTO firsts (position) VALUES (?)', [unconvertible as never]);
    });
    await ensureCheckpoints(h.knex, ['unsendable']);
    const before = await expectedOf(['unsendable']);
    const events = await batch(1);
    await expect(
      applyBatch({
        knex: h.knex,
        projections: [unsendable],
        events,
        expected: before,
        channel: 'tt_apply_pipeline',
      }),
    ).rejects.toThrow('no way to send this');
    expect(await h.knex('firsts').where('position', 'like', 'sent-first-%')).toEqual([]);
    expect(await expectedOf(['unsendable'])).toEqual(before);
  });

  it("fail with the locks' own error when they cannot be taken, not with the reads that went out behind them", async () => {
    await ensureCheckpoints(h.knex, ['locked-out']);
    const events = await batch(1);
    const expected = await expectedOf(['locked-out']);
    const holder = new Client({ connectionString: h.database.url });
    await holder.connect();
    const impatient = testKnex(h.database.url, { max: 1 });
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM projection_checkpoints WHERE name = 'locked-out' FOR UPDATE");
      await impatient.raw('SELECT 1');
      await impatient.raw("SET lock_timeout = '200ms'");
      await expect(
        applyBatch({
          knex: impatient,
          projections: [queuing('locked-out', 'firsts', { reads: [], peek: 'firsts', seen: [] })],
          events,
          expected,
          channel: 'tt_apply_pipeline',
        }),
      ).rejects.toThrow(/lock timeout/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await impatient.destroy();
    }
    expect(await expectedOf(['locked-out'])).toEqual(expected);
  });
});

describe('commit notices', () => {
  const position = '00000000000000ab-0000000000000002';

  it('name the set of projections whatever their order, and read back', () => {
    expect(projectionSetTag(['a', 'b'])).toBe(projectionSetTag(['b', 'a', 'a']));
    expect(projectionSetTag(['a', 'b'])).not.toBe(projectionSetTag(['a']));
    expect(readCommitNotice(commitNotice(position, ['a', 'b']))).toEqual({
      position,
      tag: projectionSetTag(['a', 'b']),
    });
  });

  it('read a bare position without a tag, and nothing else', () => {
    expect(readCommitNotice(position)).toEqual({ position, tag: null });
    for (const payload of ['', 'x', `${position} a b`, `${position.toUpperCase()} a`])
      expect(readCommitNotice(payload)).toBeNull();
  });
});
