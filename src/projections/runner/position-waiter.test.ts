import type { Knex } from 'knex';
import { START } from '../../eventstore/port';
import { createPositionWaiter } from './position-waiter';
import { createProjector } from './projector';
import { counterProjection, counterTable } from '../../../test/support/projector/counter-projection';
import { event, sleep, until, useHarness } from '../../../test/support/projector/harness';

describe('read-your-writes position waiter', () => {
  const h = useHarness('tt_waiter', { counterTables: ['counter'] });

  /** The API side: its own "process" (knex, pool); a poll so slow that only NOTIFY can wake it in time. */
  const apiWaiter = async (options: { projections?: string[]; pollIntervalMs?: number } = {}) => {
    const api = await h.peer();
    const waiter = h.track(createPositionWaiter({ knex: api.knex, pollIntervalMs: 60_000, ...options }));
    return { waiter, api };
  };

  const startProjector = async () => {
    const peer = await h.peer();
    const projector = h.start(
      createProjector({
        store: peer.store,
        knex: peer.knex,
        publisher: { publish: async () => undefined },
        projections: [counterProjection('counter', ['Created'])],
      }),
    );
    await until(() => projector.role === 'active', 5000, 'projector active');
  };

  const applied = async (eventId: string) => {
    const { rows } = await h.knex.raw(`SELECT 1 FROM "${counterTable('counter')}" WHERE event_id = ?`, [
      eventId,
    ]);
    return rows.length === 1;
  };

  it('answers as soon as the projector in another process has applied the position', async () => {
    const { waiter } = await apiWaiter();
    await startProjector();
    for (let i = 0; i < 5; i++) {
      const created = event('Created');
      const position = await h.append(`thing-${i}`, [created]);
      expect(await waiter.waitFor(position, 10_000)).toBe(true);
      // Read-your-writes: the read model already has the event when the wait ends.
      expect(await applied(created.eventId!)).toBe(true);
    }
  });

  it('many waiters share one LISTEN and are released together', async () => {
    const { waiter } = await apiWaiter();
    await startProjector();
    const positions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.append(`thing-${i}`, [event('Created')])),
    );
    const results = await Promise.all(positions.map((p) => waiter.waitFor(p, 10_000)));
    expect(results.every(Boolean)).toBe(true);
    const { rows } = await h.knex.raw<{ rows: { n: number }[] }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tt_projections-listen' AND datname = current_database()",
    );
    expect(rows[0]?.n).toBe(1);
  });

  /** Counts the checkpoint reads a process's knex sends. */
  const countCheckpointReads = (knex: Knex) => {
    let reads = 0;
    const log = (query: { sql: string }) => {
      if (/FROM projection_checkpoints/.test(query.sql)) reads += 1;
    };
    knex.on('query', log);
    return { reads: () => reads, stop: () => knex.off('query', log) };
  };

  it("is released by its own projections' commit notice without reading their checkpoints", async () => {
    const { waiter, api } = await apiWaiter({ projections: ['counter'] });
    await startProjector();
    // The first wait reads (nothing was heard yet) and starts the LISTEN connection. Once that listens (it reads
    // again if a wait is pending then) and one commit notice was heard (a wait reads until one is), the waits are
    // released by the notices alone.
    expect(await waiter.waitFor(await h.append('thing-0', [event('Created')]), 10_000)).toBe(true);
    await until(
      async () => {
        const { rows } = await h.knex.raw<{ rows: { n: number }[] }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tt_projections-listen'
             AND datname = current_database() AND state = 'idle' AND query LIKE 'LISTEN%'`,
        );
        return rows[0]?.n === 1;
      },
      10_000,
      'the waiter listening',
    );
    expect(await waiter.waitFor(await h.append('thing-heard', [event('Created')]), 10_000)).toBe(true);
    await sleep(100);
    const counted = countCheckpointReads(api.knex);
    try {
      for (let i = 1; i < 6; i++) {
        const created = event('Created');
        const position = await h.append(`thing-${i}`, [created]);
        expect(await waiter.waitFor(position, 10_000)).toBe(true);
        expect(await applied(created.eventId!)).toBe(true);
      }
      expect(counted.reads()).toBe(0);
    } finally {
      counted.stop();
    }
  });

  it('reads the checkpoints on a commit notice of other projections than its own', async () => {
    // Waits for 'counter' and 'other': the projector runs 'counter' alone, so its notice cannot release anyone.
    const { waiter, api } = await apiWaiter({ projections: ['counter', 'other'] });
    await startProjector();
    await h.knex.raw("INSERT INTO projection_checkpoints (name, position) VALUES ('other', ?)", [START]);
    const position = await h.append('thing-1', [event('Created')]);
    const counted = countCheckpointReads(api.knex);
    try {
      expect(await waiter.waitFor(position, 500)).toBe(false);
      expect(counted.reads()).toBeGreaterThan(0);
      await h.knex.raw("UPDATE projection_checkpoints SET position = ? WHERE name = 'other'", [position]);
      // Any later commit notice makes it read again, and find both there.
      const next = h.append('thing-2', [event('Created')]);
      expect(await waiter.waitFor(position, 10_000)).toBe(true);
      await next;
    } finally {
      counted.stop();
    }
  });

  it('gives up with false when the projections do not get there in time', async () => {
    const { waiter } = await apiWaiter();
    const position = await h.append('thing-1', [event('Created')]);
    await h.knex.raw("INSERT INTO projection_checkpoints (name, position) VALUES ('counter', ?)", [START]);
    expect(await waiter.waitFor(position, 300)).toBe(false);
  });

  it('counts a named projection without a checkpoint as not there yet', async () => {
    const { waiter } = await apiWaiter({ projections: ['counter', 'not-started'] });
    await startProjector();
    const position = await h.append('thing-1', [event('Created')]);
    expect(await waiter.waitFor(position, 500)).toBe(false);
    await h.knex.raw("INSERT INTO projection_checkpoints (name, position) VALUES ('not-started', ?)", [
      position,
    ]);
    expect(await waiter.waitFor(position, 10_000)).toBe(true);
  });

  it('recovers when its LISTEN connection is cut', async () => {
    const { waiter } = await apiWaiter();
    await startProjector();
    expect(await waiter.waitFor(await h.append('thing-0', [event('Created')]), 10_000)).toBe(true);
    await h.knex.raw(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tt_projections-listen' AND datname = current_database()",
    );
    await sleep(50);
    for (let i = 1; i < 4; i++) {
      const position = await h.append(`thing-${i}`, [event('Created')]);
      expect(await waiter.waitFor(position, 10_000)).toBe(true);
    }
  });

  it('falls back to polling when no notification comes', async () => {
    const { waiter } = await apiWaiter({ pollIntervalMs: 50 });
    const position = await h.append('thing-1', [event('Created')]);
    await h.knex.raw("INSERT INTO projection_checkpoints (name, position) VALUES ('counter', ?)", [START]);
    const waiting = waiter.waitFor(position, 10_000);
    await sleep(200);
    // Moved behind the projector's back: no NOTIFY, only the poll can see it.
    await h.knex.raw("UPDATE projection_checkpoints SET position = ? WHERE name = 'counter'", [position]);
    expect(await waiting).toBe(true);
  });
});
