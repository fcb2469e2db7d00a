import { START } from '../../eventstore/port';
import { createPositionWaiter, type PositionWaiter } from './position-waiter';
import { createProjector, type Projector } from './projector';
import { counterProjection, counterTable, createCounterTable } from './testing/counter-projection';
import { createHarness, event, type Harness, sleep, until } from './testing/harness';

describe('read-your-writes position waiter', () => {
  let h: Harness;
  let projector: Projector | null;
  const waiters: PositionWaiter[] = [];

  /** The API side: its own "process" (knex, pool); a poll so slow that only NOTIFY can wake it in time. */
  const apiWaiter = async (options: { projections?: string[]; pollIntervalMs?: number } = {}) => {
    const api = await h.peer();
    const waiter = createPositionWaiter({ knex: api.knex, pollIntervalMs: 60_000, ...options });
    waiters.push(waiter);
    return { waiter, api };
  };

  const startProjector = async () => {
    const peer = await h.peer();
    projector = createProjector({
      store: peer.store,
      knex: peer.knex,
      publisher: { publish: async () => undefined },
      projections: [counterProjection('counter', ['Created'])],
    });
    projector.start();
    await until(() => projector?.role === 'active', 5000, 'projector active');
  };

  const applied = async (eventId: string) => {
    const { rows } = await h.knex.raw(`SELECT 1 FROM "${counterTable('counter')}" WHERE event_id = ?`, [
      eventId,
    ]);
    return rows.length === 1;
  };

  beforeEach(async () => {
    h = await createHarness('tt_waiter');
    await createCounterTable(h.knex, 'counter');
    projector = null;
  });

  afterEach(async () => {
    await Promise.all(waiters.splice(0).map((w) => w.close()));
    await projector?.stop();
    await h.close();
  });

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
