import type { EventStore, Position } from '../../eventstore/port';
import { START } from '../../eventstore/port';
import { ensureCheckpoints, readCheckpoints } from './checkpoints';
import type { RunnerLogger } from './logger';
import { createProjector } from './projector';
import { rebuildProjection } from './rebuild/rebuild-projection';
import { checkpointStoreMigration } from './schema';
import { applicationCounts, counterProjection } from '../../../test/support/projector/counter-projection';
import { event, type Harness, until, useHarness } from '../../../test/support/projector/harness';
import { createThingsTables, thingsProjection } from '../../../test/support/projector/things-projection';

/** A position in an EventStoreDB log: a perfectly well-formed position in PostgreSQL's terms too. */
const ESDB_POSITION: Position = '00000000000f4240-00000000000f4240';

const recordingLogger = () => {
  const errors: string[] = [];
  const logger: RunnerLogger = {
    info: () => undefined,
    warn: () => undefined,
    error: (_details, message) => errors.push(message),
  };
  return { logger, errors };
};

describe('checkpoints and the event store they belong to', () => {
  const h = useHarness('tt_ckstore', { counterTables: ['counter'] });

  const start = (options: { store?: EventStore; logger?: RunnerLogger } = {}) =>
    h.start(
      createProjector({
        store: options.store ?? h.store,
        knex: h.knex,
        publisher: { publish: async () => undefined },
        projections: [counterProjection('counter', ['Created'])],
        retryDelayMs: 20,
        standbyRetryMs: 50,
        ...(options.logger ? { logger: options.logger } : {}),
      }),
    );

  it('records which store the checkpoints are positions of', async () => {
    const head = await h.append('thing-1', [event('Created'), event('Created')]);
    start();
    await until(
      async () => (await readCheckpoints(h.knex, ['counter']))[0]?.position === head,
      10_000,
      'catch-up',
    );
    expect((await readCheckpoints(h.knex, ['counter']))[0]).toMatchObject({
      store: 'postgresql',
      position: head,
    });
  });

  it("stops, saying how to switch, when the checkpoints are positions in another store's log", async () => {
    await h.append('thing-1', [event('Created'), event('Created')]);
    await ensureCheckpoints(h.knex, ['counter']);
    await h.knex.raw(
      "UPDATE projection_checkpoints SET store = 'eventstoredb', position = ? WHERE name = 'counter'",
      [ESDB_POSITION],
    );
    const { logger, errors } = recordingLogger();
    const projector = start({ logger });
    await until(() => projector.role === 'stopped', 10_000, 'the projector to stop');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^projector stopped: .*\(counter\) are positions in the eventstoredb event store's log, but this process reads the postgresql event store.*rebuild the read models/,
    );
    // Nothing was applied, and the checkpoint still says where the other log's reader was.
    expect((await applicationCounts(h.knex, 'counter')).size).toBe(0);
    expect((await readCheckpoints(h.knex, ['counter']))[0]).toMatchObject({
      store: 'eventstoredb',
      position: ESDB_POSITION,
    });
  });

  it('lets any store claim checkpoints still at the start of the log', async () => {
    await ensureCheckpoints(h.knex, ['counter']);
    await h.knex.raw("UPDATE projection_checkpoints SET store = 'eventstoredb' WHERE name = 'counter'");
    const head = await h.append('thing-1', [event('Created')]);
    start();
    await until(
      async () => (await readCheckpoints(h.knex, ['counter']))[0]?.position === head,
      10_000,
      'catch-up',
    );
    expect((await readCheckpoints(h.knex, ['counter']))[0]?.store).toBe('postgresql');
  });

  it('gives checkpoints written before the migration the store that wrote them', async () => {
    await checkpointStoreMigration.down!(h.knex);
    await ensureCheckpointsWithoutStore(h, ['fresh', 'moved']);
    await h.knex.raw("UPDATE projection_checkpoints SET position = ? WHERE name = 'moved'", [ESDB_POSITION]);

    // No events in PostgreSQL's log: the positions came from EventStoreDB.
    await checkpointStoreMigration.up(h.knex);
    expect((await readCheckpoints(h.knex, ['fresh', 'moved'])).map((r) => [r.name, r.store])).toEqual([
      ['fresh', null],
      ['moved', 'eventstoredb'],
    ]);

    await checkpointStoreMigration.down!(h.knex);
    await h.append('thing-1', [event('Created')]);
    await checkpointStoreMigration.up(h.knex);
    expect((await readCheckpoints(h.knex, ['moved']))[0]?.store).toBe('postgresql');
  });

  it("switches stores with a fresh rebuild, which replaces the other log's checkpoint", async () => {
    await createThingsTables(h.knex);
    const head = await h.append('thing-1', [event('ThingAdded', { key: 'a', amount: 1 })]);
    await ensureCheckpoints(h.knex, ['things']);
    await h.knex.raw(
      "UPDATE projection_checkpoints SET store = 'eventstoredb', position = ? WHERE name = 'things'",
      [ESDB_POSITION],
    );
    // Progress another log's rebuild left behind is no progress in this one.
    await h.knex.raw(
      "INSERT INTO projection_rebuilds (name, position, store) VALUES ('things', ?, 'eventstoredb')",
      [ESDB_POSITION],
    );
    const result = await rebuildProjection({ store: h.store, knex: h.knex, projection: thingsProjection });
    expect(result).toMatchObject({ position: head, resumed: false });
    expect((await readCheckpoints(h.knex, ['things']))[0]).toMatchObject({
      store: 'postgresql',
      position: head,
      state: 'live',
    });
  });
});

/** Rows as the code before the migration wrote them. */
const ensureCheckpointsWithoutStore = async (h: Harness, names: string[]) => {
  for (const name of names)
    await h.knex.raw('INSERT INTO projection_checkpoints (name, position) VALUES (?, ?)', [name, START]);
};
