import type { Knex } from 'knex';
import { type Position, type RecordedEvent, START } from '../../../eventstore/port';
import { readCheckpoints } from '../checkpoints';
import { createProjector, type Projector } from '../projector';
import type { ProjectorHooks } from '../projector-options';
import { event, type Harness, sleep, until, useHarness } from '../../../../test/support/projector/harness';
import {
  createThingsTables,
  thingsContent,
  thingsProjection,
} from '../../../../test/support/projector/things-projection';
import { abortRebuild, type RebuildPhase, rebuildProjection } from './rebuild-projection';
import { RebuildInProgressError } from './rebuild-lock';

/** Event i of the test log: things k0…k39 first, then amounts and notes for them, and now and then a new thing. */
const nthEvent = (i: number) => {
  if (i < 40) return event('ThingAdded', { key: `k${i}`, amount: 1 });
  if (i % 50 === 0) return event('ThingAdded', { key: `new${i}`, amount: 2 });
  if (i % 3 === 0) return event('ThingNoted', { key: `k${i % 40}`, note: `note ${i}` });
  return event('ThingAdded', { key: `k${i % 40}`, amount: i % 7 });
};

/** What the read model must contain, computed from the whole log. */
const expectedContent = async (h: Harness) => {
  const events: RecordedEvent[] = [];
  for (let from: Position = START; ; ) {
    const page = await h.store.readAll({ fromPosition: from, maxCount: 5000 });
    events.push(...page);
    if (page.length < 5000) break;
    from = page[page.length - 1]!.position;
  }
  const things = new Map<string, { key: string; total: number; applications: number }>();
  const notes: { event_id: string; key: string; note: string }[] = [];
  for (const e of events) {
    const data = e.data as { key: string; amount: number; note: string };
    if (e.type === 'ThingAdded') {
      const row = things.get(data.key) ?? { key: data.key, total: 0, applications: 0 };
      row.total += data.amount;
      row.applications += 1;
      things.set(data.key, row);
    } else notes.push({ event_id: e.eventId, key: data.key, note: data.note });
  }
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
  return {
    things: [...things.values()].sort(byKey),
    notes: notes.sort((a, b) => (a.event_id < b.event_id ? -1 : 1)),
    untriggered: 0,
  };
};

/** Every name the migration gave: indexes (and so their constraints), constraints, sequences, tables. */
const schemaNames = async (knex: Knex) => {
  const { rows } = await knex.raw<{ rows: { kind: string; name: string }[] }>(`
    SELECT 'index ' || tablename AS kind, indexname AS name FROM pg_indexes WHERE schemaname = 'public'
      AND tablename IN ('things', 'thing_notes')
    UNION ALL SELECT 'constraint ' || conrelid::regclass::text, conname FROM pg_constraint
      WHERE conrelid IN ('things'::regclass, 'thing_notes'::regclass)
    UNION ALL SELECT 'sequence', relname FROM pg_class WHERE relkind = 'S'
    UNION ALL SELECT 'table', tablename FROM pg_tables WHERE schemaname = 'public'
    UNION ALL SELECT 'trigger ' || tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal
    ORDER BY 1, 2`);
  return rows.map((r) => `${r.kind}: ${r.name}`);
};

describe('rebuilding a projection into shadow tables', () => {
  const h = useHarness('tt_rebuild', { prepare: (h) => createThingsTables(h.knex) });
  let projector: Projector | null;
  let appended = 0;
  let lastPosition: Position = START;

  const append = async (count: number) => {
    for (let done = 0; done < count; done += 10) {
      const events = Array.from({ length: Math.min(10, count - done) }, (_, j) => nthEvent(appended + j));
      const position = await h.append(`thing-${appended}`, events);
      appended += events.length;
      if (position > lastPosition) lastPosition = position;
    }
  };

  const startProjector = async (hooks?: ProjectorHooks) => {
    const peer = await h.peer();
    projector = h.start(
      createProjector({
        store: peer.store,
        knex: peer.knex,
        publisher: { publish: async () => undefined },
        projections: [thingsProjection],
        batchSize: 200,
        retryDelayMs: 20,
        hooks,
      }),
    );
  };

  const caughtUp = () =>
    until(
      async () => ((await readCheckpoints(h.knex, ['things']))[0]?.position ?? START) >= lastPosition,
      20_000,
      'projector catch-up',
    );

  /** A rebuild of the things read model from the harness's log. */
  const rebuild = (options: Omit<Parameters<typeof rebuildProjection>[0], 'store' | 'knex' | 'projection'>) =>
    rebuildProjection({ store: h.store, knex: h.knex, projection: thingsProjection, ...options });

  /** A rebuild whose process dies after its first batch of `batchSize` events. */
  const rebuildDyingAfterABatch = (batchSize: number, death: string) =>
    rebuild({
      batchSize,
      afterBatch: () => {
        throw new Error(death);
      },
    });

  beforeEach(() => {
    appended = 0;
    lastPosition = START;
    projector = null;
  });

  it('swaps in rebuilt tables while the projector writes and readers read, and can do it twice in a row', async () => {
    await append(3000);
    await startProjector();
    await caughtUp();
    const namesBefore = await schemaNames(h.knex);
    expect(await thingsContent(h.knex)).toEqual(await expectedContent(h));

    // A reader in another process: never an error, never an empty or half-filled table, never going back.
    const reader = await h.peer();
    const readerErrors: unknown[] = [];
    let reads = 0;
    let readsDuringRebuild = 0;
    let rebuilding = true;
    let last = { things: 0, applications: 0, notes: 0 };
    let stopReading = false;
    const reading = (async () => {
      while (!stopReading) {
        try {
          const { rows } = await reader.knex.raw<{
            rows: { things: number; applications: number; notes: number }[];
          }>(
            `SELECT (SELECT count(*)::int FROM things) AS things,
                    (SELECT coalesce(sum(applications), 0)::int FROM things) AS applications,
                    (SELECT count(*)::int FROM thing_notes) AS notes`,
          );
          const now = rows[0]!;
          if (now.things < last.things || now.applications < last.applications || now.notes < last.notes) {
            readerErrors.push(new Error(`went back: ${JSON.stringify(last)} -> ${JSON.stringify(now)}`));
          }
          last = now;
          reads += 1;
          if (rebuilding) readsDuringRebuild += 1;
        } catch (error) {
          readerErrors.push(error);
        }
      }
    })();
    let stopWriting = false;
    const writing = (async () => {
      while (!stopWriting) {
        await append(10);
        await sleep(20);
      }
    })();

    const phases = new Set<RebuildPhase>();
    const result = await rebuild({
      batchSize: 500,
      onProgress: (p) => phases.add(p.phase),
    });
    rebuilding = false;
    expect(result.resumed).toBe(false);
    expect([...phases]).toEqual(['preparing', 'replaying', 'indexing', 'swapping', 'done']);
    await sleep(100);
    stopWriting = true;
    await writing;
    await caughtUp();
    stopReading = true;
    await reading;

    expect(readerErrors).toEqual([]);
    expect(readsDuringRebuild).toBeGreaterThan(0);
    expect(reads).toBeGreaterThan(readsDuringRebuild);
    expect(await thingsContent(h.knex)).toEqual(await expectedContent(h));
    expect(await schemaNames(h.knex)).toEqual(namesBefore);
    const [checkpoint] = await readCheckpoints(h.knex, ['things']);
    expect(checkpoint?.state).toBe('live');

    // Again, from the tables the first rebuild swapped in; then new rows still get serial and identity ids.
    const second = await rebuild({
      batchSize: 700,
    });
    expect(second.position).toBe(lastPosition);
    await append(200);
    await caughtUp();
    expect(await thingsContent(h.knex)).toEqual(await expectedContent(h));
    expect(await schemaNames(h.knex)).toEqual(namesBefore);
  });

  it('resumes an interrupted rebuild from its own checkpoint, applying each event once', async () => {
    await append(2000);
    await startProjector();
    await caughtUp();
    await expect(rebuildDyingAfterABatch(300, 'rebuild process died')).rejects.toThrow(
      'rebuild process died',
    );
    const [checkpoint] = await readCheckpoints(h.knex, ['things']);
    expect(checkpoint?.state).toBe('rebuilding');
    const { rows } = await h.knex.raw<{ rows: { events_applied: number }[] }>(
      "SELECT events_applied::int FROM projection_rebuilds WHERE name = 'things'",
    );
    // One batch of at most 300 (fewer when the log's horizon holds events back) is in the shadow tables.
    expect(rows[0]?.events_applied).toBeGreaterThan(0);
    expect(rows[0]?.events_applied).toBeLessThanOrEqual(300);

    await append(100);
    const result = await rebuild({
      batchSize: 300,
    });
    expect(result.resumed).toBe(true);
    await caughtUp();
    // `applications` would count any event applied twice to the shadow tables.
    expect(await thingsContent(h.knex)).toEqual(await expectedContent(h));
    expect((await readCheckpoints(h.knex, ['things']))[0]?.state).toBe('live');
  });

  it('goes to the head of the log when no projector runs, and the projector carries on from there', async () => {
    await append(500);
    await startProjector();
    await caughtUp();
    await projector?.stop();
    projector = null;
    await append(300);
    // Readers see an append once older transactions anywhere in the cluster have ended.
    await until(
      async () => (await h.store.readAll({ maxCount: 10_000 })).length === appended,
      10_000,
      'appends visible',
    );
    const result = await rebuild({});
    expect(result.position).toBe(lastPosition);
    expect(result.eventsApplied).toBe(800);
    expect(await thingsContent(h.knex)).toEqual(await expectedContent(h));
    await append(100);
    await startProjector();
    await caughtUp();
    expect(await thingsContent(h.knex)).toEqual(await expectedContent(h));
  });

  it('stops at the live checkpoint while a projector runs, so the projector carries on with realtime messages', async () => {
    await append(300);
    let stuck = false;
    // A running projector that cannot get past its checkpoint for now: every batch fails until it is released.
    await startProjector({
      beforeCommit: () => {
        if (stuck) throw new Error('held back by the test');
      },
    });
    await caughtUp();
    const [before] = await readCheckpoints(h.knex, ['things']);
    stuck = true;
    await append(100);
    const result = await rebuild({});
    expect(result.position).toBe(before?.position);
    expect(result.eventsApplied).toBe(300);
    stuck = false;
    await caughtUp();
    expect(await thingsContent(h.knex)).toEqual(await expectedContent(h));
  });

  it('refuses a second rebuild of the same projection while one runs', async () => {
    await append(1000);
    await startProjector();
    await caughtUp();
    let resume: () => void = () => undefined;
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let pausedOnce = false;
    const first = rebuild({
      batchSize: 100,
      afterBatch: async () => {
        if (!pausedOnce) {
          pausedOnce = true;
          await paused;
        }
      },
    });
    await until(() => pausedOnce, 5000, 'first rebuild under way');
    await expect(rebuild({})).rejects.toBeInstanceOf(RebuildInProgressError);
    resume();
    await first;
  });

  it('can abandon an interrupted rebuild, leaving the live tables as they were', async () => {
    await append(600);
    await startProjector();
    await caughtUp();
    const before = await thingsContent(h.knex);
    await expect(rebuildDyingAfterABatch(100, 'stop')).rejects.toThrow('stop');
    await abortRebuild({ knex: h.knex, projection: thingsProjection });
    const { rows } = await h.knex.raw<{ rows: unknown[] }>(
      "SELECT 1 FROM pg_tables WHERE tablename LIKE '%\\_\\_rebuild'",
    );
    expect(rows).toEqual([]);
    expect((await readCheckpoints(h.knex, ['things']))[0]?.state).toBe('live');
    expect(await thingsContent(h.knex)).toEqual(before);
  });

  it('refuses up front a table that other tables reference', async () => {
    await h.knex.raw('CREATE TABLE outsider (thing_id integer REFERENCES things (id))');
    await expect(rebuild({})).rejects.toThrow(
      /foreign keys from other tables would block the swap: outsider\./,
    );
  });
});
