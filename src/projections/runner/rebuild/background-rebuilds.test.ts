/**
 * Rebuilds run in the background of the process that was asked (the admin API's): one at a time per projection,
 * logged as they go, stopped at a batch boundary by a shutdown and resumed by the next one.
 */
import type { EventStore, ReadAllOptions } from '../../../eventstore/port';
import { createTestSystem, type TestSystem } from '../../../../test/support/system';
import { readCheckpoints } from '../checkpoints';
import { usersProjection } from '../../users/projection';
import type { RunnerLogger } from '../logger';
import { createBackgroundRebuilds, RebuildStoppedError } from './background-rebuilds';
import { RebuildInProgressError } from './rebuild-lock';
import { readRebuildProgress } from './rebuild-progress';

const recordingLogger = () => {
  const lines: { level: string; message: string; details: object }[] = [];
  const at =
    (level: string) =>
    (details: object, message: string): void => {
      lines.push({ level, message, details });
    };
  const logger: RunnerLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
};

/** The store, with its log reads held at a gate once `hold()` is called, until `open()`. */
const gatedStore = (store: EventStore) => {
  let gate: Promise<void> | null = null;
  let open: () => void = () => undefined;
  let waiting: () => void = () => undefined;
  const reached = () => new Promise<void>((resolve) => (waiting = resolve));
  return {
    store: new Proxy(store, {
      get(target, key, receiver) {
        if (key !== 'readAll') return Reflect.get(target, key, receiver);
        return async (options?: ReadAllOptions) => {
          if (gate) {
            waiting();
            await gate;
          }
          return target.readAll(options);
        };
      },
    }),
    hold() {
      gate = new Promise((resolve) => (open = resolve));
      return reached();
    },
    open() {
      gate = null;
      open();
    },
  };
};

describe('rebuilds in the background of a process', () => {
  let sys: TestSystem;
  const userCount = async () => Number((await sys.knex('users').count({ n: '*' }))[0]!.n);
  beforeAll(async () => {
    sys = await createTestSystem('tt_bg_rebuild');
    for (let i = 0; i < 12; i += 1)
      await sys.commands.registerUser({
        username: `user${i}`,
        email: `user${i}@example.com`,
        password: 'a long password',
      });
  });
  afterAll(() => sys.teardown());

  it('stops at the next batch when the process shuts down, and the next rebuild resumes and finishes', async () => {
    const gated = gatedStore(sys.store);
    const first = recordingLogger();
    const rebuilds = createBackgroundRebuilds({
      store: gated.store,
      knex: sys.knex,
      projections: [usersProjection],
      logger: first.logger,
      batchSize: 2,
    });
    const held = gated.hold();
    await rebuilds.start(usersProjection);
    expect(rebuilds.running()).toEqual(['users']);
    await expect(rebuilds.start(usersProjection)).rejects.toBeInstanceOf(RebuildInProgressError);
    await held;
    // The shutdown comes while a read is under way: the batch it reads is committed, then the rebuild stops.
    const closing = rebuilds.close();
    gated.open();
    await closing;
    expect(rebuilds.running()).toEqual([]);
    await expect(rebuilds.start(usersProjection)).rejects.toBeInstanceOf(RebuildStoppedError);
    expect(first.lines.map((l) => [l.level, l.message])).toEqual(
      expect.arrayContaining([
        ['info', 'rebuild of users started'],
        ['warn', 'the rebuild of users was stopped by a shutdown; the next rebuild resumes it'],
      ]),
    );
    expect((await readCheckpoints(sys.knex, ['users']))[0]?.state).toBe('rebuilding');
    const progress = await readRebuildProgress(sys.knex, 'users');
    expect(progress?.eventsApplied).toBeGreaterThan(0);

    const second = recordingLogger();
    const again = createBackgroundRebuilds({
      store: sys.store,
      knex: sys.knex,
      projections: [usersProjection],
      logger: second.logger,
      batchSize: 2,
      progressLogMs: 0,
    });
    await again.start(usersProjection);
    await again.settled('users');
    const done = second.lines.find((l) => l.message === 'rebuilt users: the new tables are live');
    expect(done?.details).toEqual(expect.objectContaining({ resumed: true, eventsApplied: 12 }));
    expect(second.lines.filter((l) => l.message === 'rebuilding users: replaying').length).toBeGreaterThan(1);
    expect((await readCheckpoints(sys.knex, ['users']))[0]?.state).toBe('live');
    expect(await userCount()).toBe(12);
    await again.close();
  });

  it('logs a failure, releases the lock, and leaves the live tables as they were', async () => {
    const { logger, lines } = recordingLogger();
    const broken = new Proxy(sys.store, {
      get(target, key, receiver) {
        if (key === 'readAll') return async () => Promise.reject(new Error('the log is unreadable'));
        return Reflect.get(target, key, receiver);
      },
    });
    const rebuilds = createBackgroundRebuilds({
      store: broken,
      knex: sys.knex,
      projections: [usersProjection],
      logger,
    });
    await rebuilds.start(usersProjection);
    await rebuilds.settled('users');
    const failed = lines.find((l) => l.level === 'error');
    expect(failed?.message).toMatch(/^the rebuild of users failed/);
    expect(failed?.details).toEqual(
      expect.objectContaining({ err: expect.objectContaining({ message: 'the log is unreadable' }) }),
    );
    expect(await userCount()).toBe(12);
    // The lock went with the run: another rebuild may start.
    const after = createBackgroundRebuilds({
      store: sys.store,
      knex: sys.knex,
      projections: [usersProjection],
    });
    await after.start(usersProjection);
    await after.settled('users');
    await after.close();
    await rebuilds.close();
  });

  it('refuses to start when `before` refuses, and lets the next one take the lock', async () => {
    const rebuilds = createBackgroundRebuilds({
      store: sys.store,
      knex: sys.knex,
      projections: [usersProjection],
    });
    await expect(
      rebuilds.start(usersProjection, async () => {
        throw new Error('not recorded');
      }),
    ).rejects.toThrow('not recorded');
    expect(rebuilds.running()).toEqual([]);
    await rebuilds.start(usersProjection);
    await rebuilds.close();
  });
});
