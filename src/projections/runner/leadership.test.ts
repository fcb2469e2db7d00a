import { readCheckpoints } from './checkpoints';
import { createProjector } from './projector';
import { applicationCounts, counterProjection } from '../../../test/support/projector/counter-projection';
import { event, sleep, until, useHarness } from '../../../test/support/projector/harness';

describe('one active projector per database', () => {
  const h = useHarness('tt_leader', { counterTables: ['counter'] });
  let appended = 0;
  let lastPosition = '';

  /** A projector in its own "process": its own knex, pool and event store. */
  const instance = async () => {
    const peer = await h.peer();
    return h.start(
      createProjector({
        store: peer.store,
        knex: peer.knex,
        publisher: { publish: async () => undefined },
        projections: [counterProjection('counter', ['Created'])],
        batchSize: 20,
        standbyRetryMs: 100,
        retryDelayMs: 50,
      }),
    );
  };

  const append = async (batches: number) => {
    for (let i = 0; i < batches; i++) {
      const position = await h.append(`thing-${appended}`, [
        event('Created'),
        event('Created'),
        event('Created'),
      ]);
      if (position > lastPosition) lastPosition = position;
      appended += 3;
    }
  };

  const allAppliedOnce = async () => {
    // The last append's position, not headPosition(): that one waits behind open transactions (the projector's).
    await until(
      async () => ((await readCheckpoints(h.knex, ['counter']))[0]?.position ?? '') >= lastPosition,
      15_000,
      'catch-up',
    );
    const counts = await applicationCounts(h.knex, 'counter');
    expect(counts.size).toBe(appended);
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  };

  const lockHolder = async (): Promise<number[]> => {
    const { rows } = await h.knex.raw<{ rows: { pid: number }[] }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return rows.map((r) => r.pid);
  };

  beforeEach(() => {
    appended = 0;
    lastPosition = '';
  });

  it('a standby takes over when the active one loses its lock session, and nothing is applied twice', async () => {
    await append(20);
    const first = await instance();
    await until(() => first.role === 'active', 5000, 'first active');
    const second = await instance();
    await sleep(400);
    expect(second.role).toBe('standby');

    // Appends keep coming while the leader is killed.
    const writing = append(60);
    await sleep(50);
    const holders = await lockHolder();
    expect(holders).toHaveLength(1);
    await h.knex.raw('SELECT pg_terminate_backend(?)', [holders[0]!]);

    await until(() => second.role === 'active', 5000, 'standby takes over');
    // The killed one stops processing at once and competes again as a standby.
    await until(() => first.role === 'standby', 5000, 'first back to standby');
    await writing;
    await append(10);
    await allAppliedOnce();
    expect(first.role).toBe('standby');
    expect(await lockHolder()).toHaveLength(1);
  });

  it('a clean stop hands over to the standby, which continues from the checkpoint', async () => {
    const first = await instance();
    await until(() => first.role === 'active', 5000, 'first active');
    const second = await instance();
    await append(30);
    await until(
      async () => ((await readCheckpoints(h.knex, ['counter']))[0]?.eventsApplied ?? 0) > 0,
      5000,
      'progress',
    );
    const writing = append(30);
    await first.stop();
    expect(first.role).toBe('stopped');
    await until(() => second.role === 'active', 5000, 'standby takes over');
    await writing;
    await allAppliedOnce();
  });
});
