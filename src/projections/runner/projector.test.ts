import { Client } from 'pg';
import type { Position } from '../../eventstore/port';
import type { Publisher, RoomMessage } from '../projection';
import { projectionSetTag, readCheckpoints, readCommitNotice } from './checkpoints';
import { createProjector } from './projector';
import { PROJECTIONS_CHANNEL } from './projector-options';
import {
  applicationCounts,
  counterProjection,
  createCounterTable,
} from '../../../test/support/projector/counter-projection';
import { event, sleep, until, useHarness } from '../../../test/support/projector/harness';

const recordingPublisher = () => {
  const published: RoomMessage[] = [];
  const publisher: Publisher = {
    async publish(messages) {
      published.push(...messages);
    },
  };
  return { publisher, published };
};

/** A hook that counts its calls and throws on the `n`th: the process crashing there. */
const crashOnCall = (n: number, crash: string) => {
  let calls = 0;
  return {
    hook: () => {
      calls += 1;
      if (calls === n) throw new Error(crash);
    },
    calls: () => calls,
  };
};

describe('projector runner', () => {
  const h = useHarness('tt_runner');

  const appendMany = async (count: number, types: readonly string[]) => {
    let last: Position = '';
    for (let i = 0; i < count; i += 10) {
      const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) =>
        event(types[(i + j) % types.length]!),
      );
      last = await h.append(`thing-${i}`, batch);
    }
    return last;
  };

  const caughtUp = async (names: readonly string[], position: Position) => {
    await until(
      async () => {
        const rows = await readCheckpoints(h.knex, names);
        return rows.length === names.length && rows.every((r) => r.position >= position);
      },
      15_000,
      `checkpoints at ${position}`,
    );
  };

  const expectEachOnce = async (name: string, expected: number) => {
    const counts = await applicationCounts(h.knex, name);
    expect(counts.size).toBe(expected);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  };

  it('applies each event once, in list order, with its checkpoint, then publishes in log order and notifies', async () => {
    await createCounterTable(h.knex, 'first');
    await createCounterTable(h.knex, 'second');
    const head = await appendMany(1200, ['Created', 'Changed']);
    const listener = new Client({ connectionString: h.database.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => {
      const notice = readCommitNotice(n.payload ?? '');
      // Every notification is a commit notice naming this projector's projections.
      expect(notice?.tag).toBe(projectionSetTag(['first', 'second']));
      notified.push(notice?.position ?? '');
    });
    await listener.query(`LISTEN ${PROJECTIONS_CHANNEL}`);

    // Whatever reaches the bus is already committed: its position is at or below the stored checkpoint.
    const published: RoomMessage[] = [];
    let publishedBeforeCommit = 0;
    const publisher: Publisher = {
      async publish(messages) {
        const [row] = await readCheckpoints(h.knex, ['second']);
        publishedBeforeCommit += messages.filter((m) => !row || m.position > row.position).length;
        published.push(...messages);
      },
    };
    h.start(
      createProjector({
        store: h.store,
        knex: h.knex,
        publisher,
        batchSize: 100,
        projections: [
          counterProjection('first', ['Created', 'Changed']),
          counterProjection('second', ['Changed'], { after: 'first' }),
        ],
      }),
    );
    await caughtUp(['first', 'second'], head);
    await expectEachOnce('first', 1200);
    await expectEachOnce('second', 600);

    const rows = await readCheckpoints(h.knex, ['first', 'second']);
    expect(rows.map((r) => [r.name, r.position, r.eventsApplied, r.state])).toEqual([
      ['first', head, 1200, 'live'],
      ['second', head, 600, 'live'],
    ]);
    await until(() => published.length === 1800, 5000, 'messages');
    expect(publishedBeforeCommit).toBe(0);
    for (const room of ['counter:first', 'counter:second']) {
      const positions = published.filter((m) => m.room === room).map((m) => m.position);
      expect(positions).toEqual([...positions].sort());
      expect(new Set(positions).size).toBe(positions.length);
    }
    await until(() => notified.includes(head), 5000, 'NOTIFY of the head');
    await listener.end();
  });

  it('loses nothing and applies nothing twice when its connection dies between applying a batch and committing', async () => {
    await createCounterTable(h.knex, 'counter');
    const head = await appendMany(500, ['Created']);
    let batches = 0;
    let killed = 0;
    const { publisher, published } = recordingPublisher();
    h.start(
      createProjector({
        store: h.store,
        knex: h.knex,
        publisher,
        batchSize: 50,
        retryDelayMs: 50,
        projections: [counterProjection('counter', ['Created'])],
        hooks: {
          async beforeCommit(_events, trx) {
            batches += 1;
            if (batches === 3 || batches === 7) {
              killed += 1;
              // The backend running the batch dies: PostgreSQL rolls the whole transaction back.
              await trx.raw('SELECT pg_terminate_backend(pg_backend_pid())');
            }
          },
        },
      }),
    );
    await caughtUp(['counter'], head);
    expect(killed).toBe(2);
    await expectEachOnce('counter', 500);
    // Rolled-back batches published nothing: every message is there exactly once.
    await until(() => published.length === 500, 5000, 'messages');
    expect(new Set(published.map((m) => m.position)).size).toBe(500);
  });

  it('a restarted projector continues exactly where a crashed one committed, before or after the commit', async () => {
    await createCounterTable(h.knex, 'counter');
    const head = await appendMany(400, ['Created']);
    const projections = [counterProjection('counter', ['Created'])];
    const { publisher } = recordingPublisher();

    const applied = async () => (await readCheckpoints(h.knex, ['counter']))[0]?.eventsApplied ?? 0;

    /** A process that "dies" at a hook: it is stopped there and never retries. */
    const crashing = (hooks: Parameters<typeof createProjector>[0]['hooks']) =>
      h.start(
        createProjector({
          store: h.store,
          knex: h.knex,
          publisher,
          batchSize: 40,
          retryDelayMs: 60_000,
          projections,
          hooks,
        }),
      );

    // Crash inside the 4th batch, before COMMIT.
    const beforeCommit = crashOnCall(4, 'crash before commit');
    const first = crashing({ beforeCommit: beforeCommit.hook });
    await until(() => beforeCommit.calls() === 4, 10_000, 'the crash before commit');
    await first.stop();
    const afterFirst = await applied();
    expect(afterFirst).toBeGreaterThan(0);
    expect(afterFirst).toBeLessThan(400);

    // Crash right after the 2nd commit of the next process, before it could publish or remember anything.
    const afterCommit = crashOnCall(2, 'crash after commit');
    const second = crashing({ afterCommit: afterCommit.hook });
    await until(() => afterCommit.calls() === 2, 10_000, 'two commits');
    await second.stop();
    expect(await applied()).toBeGreaterThan(afterFirst);

    h.start(createProjector({ store: h.store, knex: h.knex, publisher, batchSize: 40, projections }));
    await caughtUp(['counter'], head);
    await expectEachOnce('counter', 400);
  });

  it('a projection added later catches up from the start while the others skip what they already have', async () => {
    await createCounterTable(h.knex, 'old');
    await createCounterTable(h.knex, 'added');
    const head = await appendMany(300, ['Created']);
    const { publisher } = recordingPublisher();
    const first = h.start(
      createProjector({
        store: h.store,
        knex: h.knex,
        publisher,
        projections: [counterProjection('old', ['Created'])],
      }),
    );
    await caughtUp(['old'], head);
    await first.stop();

    h.start(
      createProjector({
        store: h.store,
        knex: h.knex,
        publisher,
        batchSize: 70,
        projections: [counterProjection('old', ['Created']), counterProjection('added', ['Created'])],
      }),
    );
    await caughtUp(['old', 'added'], head);
    await expectEachOnce('old', 300);
    await expectEachOnce('added', 300);
  });

  it('keeps projecting when the bus fails, and logs it', async () => {
    await createCounterTable(h.knex, 'counter');
    const head = await appendMany(50, ['Created']);
    const warnings: string[] = [];
    h.start(
      createProjector({
        store: h.store,
        knex: h.knex,
        publisher: { publish: async () => Promise.reject(new Error('bus down')) },
        batchSize: 10,
        projections: [counterProjection('counter', ['Created'])],
        logger: {
          info: () => undefined,
          error: () => undefined,
          warn: (_d, message) => warnings.push(message),
        },
      }),
    );
    await caughtUp(['counter'], head);
    await expectEachOnce('counter', 50);
    await until(() => warnings.length > 0, 5000, 'warnings');
  });

  it('reports the lag behind the log, and none once caught up', async () => {
    await createCounterTable(h.knex, 'counter');
    const head = await appendMany(30, ['Created']);
    const { publisher } = recordingPublisher();
    const projector = createProjector({
      store: h.store,
      knex: h.knex,
      publisher,
      projections: [counterProjection('counter', ['Created'])],
    });
    // Readers see an append once older transactions anywhere in the cluster have ended.
    await until(async () => (await h.store.readAll()).length === 30, 10_000, 'appends visible');
    await sleep(30);
    const [behind] = await projector.status();
    expect(behind).toMatchObject({ name: 'counter', lagEvents: 30, state: 'live', eventsApplied: 0 });
    expect(behind!.lagMs).toBeGreaterThanOrEqual(30);

    h.start(projector);
    await caughtUp(['counter'], head);
    expect(projector.role).toBe('active');
    const [after] = await projector.status();
    expect(after).toMatchObject({
      name: 'counter',
      checkpoint: head,
      lagEvents: 0,
      lagMs: 0,
      eventsApplied: 30,
    });
  });

  it("with lingerMs, lets appends gather into one batch at the log's head, and does not linger while catching up", async () => {
    await createCounterTable(h.knex, 'lingering');
    // Catching up: 5 events in batches of 2, with no linger between full batches.
    const head = await appendMany(5, ['Created']);
    const batches: number[] = [];
    const { publisher } = recordingPublisher();
    const lingerMs = 2_000;
    const started = Date.now();
    h.start(
      createProjector({
        store: h.store,
        knex: h.knex,
        publisher,
        batchSize: 2,
        lingerMs,
        projections: [
          counterProjection('lingering', ['Created'], { onApply: (e) => batches.push(e.length) }),
        ],
      }),
    );
    await caughtUp(['lingering'], head);
    expect(batches).toEqual([2, 2, 1]);
    expect(Date.now() - started).toBeLessThan(lingerMs);
    // At the head: three appends, 300 ms apart, while it lingers after the last batch, are read together (a full
    // batch and the rest, with no linger between them).
    let last: Position = head;
    for (let i = 0; i < 3; i++) {
      // Far enough apart that each would make a batch of its own without the linger.
      if (i > 0) await sleep(300);
      last = await h.append(`linger-${i}`, [event('Created')]);
    }
    await caughtUp(['lingering'], last);
    expect(batches).toEqual([2, 2, 1, 2, 1]);
    await expectEachOnce('lingering', 8);
  });
});
