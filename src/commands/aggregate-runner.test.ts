/**
 * The runner against PostgreSQL: concurrent commands on one stream in one process run one after another, so none
 * of them needs a retry (QUALITY.md: 100 concurrent PATCHes without If-Match all apply); another stream is not held
 * up by them; an expected revision is still checked in the order the commands run.
 */
import type { Command, Decider, Event } from '../domain/shared/decider';
import { ConcurrencyError, ForbiddenError } from '../domain/shared/errors';
import { createTestSystem, type TestSystem } from '../../test/support/system';
import { AggregateRunner } from './aggregate-runner';
import { uuidv7 } from './ids';

type Count = Command<'Count', { by: number }>;
type Counted = Event<'Counted', { by: number; total: number }>;
const counter: Decider<Count, Counted, number> = {
  decide: (command, total) => [
    { type: 'Counted', data: { by: command.data.by, total: total + command.data.by } },
  ],
  evolve: (_total, event) => event.data.total,
  initialState: () => 0,
};

describe('the aggregate runner', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await createTestSystem('tt_runner');
  });
  afterAll(() => system.teardown());

  const count = (runner: AggregateRunner, streamId: string, by: number, expectedRevision?: number) =>
    runner.run(counter, streamId, { actorId: uuidv7(), expectedRevision }, (_, metadata) => ({
      type: 'Count' as const,
      data: { by },
      metadata,
    }));

  it('runs 100 concurrent commands on one stream one after another, none of them retried', async () => {
    const runner = new AggregateRunner(system.store, { maxRetries: 0 });
    const streamId = `counter-${uuidv7()}`;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => count(runner, streamId, i + 1)));
    expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    const events = await system.store.readStream(streamId);
    expect(events.at(-1)!.data).toMatchObject({ total: 5050 });
  });

  it('checks expected revisions in the order the commands run: one of many with the same one applies', async () => {
    const runner = new AggregateRunner(system.store, { maxRetries: 0 });
    const streamId = `counter-${uuidv7()}`;
    await count(runner, streamId, 1);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => count(runner, streamId, 1, 0)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected'))
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
  });

  it('goes on after a command that failed, and holds no stream for another', async () => {
    const runner = new AggregateRunner(system.store, { maxRetries: 0 });
    const [busy, other] = [`counter-${uuidv7()}`, `counter-${uuidv7()}`];
    const failing = runner.run(counter, busy, { actorId: uuidv7() }, async () => {
      throw new Error('refused');
    });
    const after = count(runner, busy, 2);
    await expect(failing).rejects.toThrow('refused');
    expect((await after).revision).toBe(0);
    expect((await count(runner, other, 3)).revision).toBe(0);
  });

  describe('a command on a stream expected to be new', () => {
    /** The store, counting the streams it was asked to read. */
    const counting = () => {
      const reads: string[] = [];
      const store = Object.create(system.store) as typeof system.store;
      store.readStream = (streamId, options) => {
        reads.push(streamId);
        return system.store.readStream(streamId, options);
      };
      return { store, reads };
    };
    const create = (runner: AggregateRunner, streamId: string, commandId: string, refuse = false) =>
      runner.run(
        counter,
        streamId,
        { actorId: '01a22dba-bfec-7a0d-bf2a-f8c3bfdfa246', commandId },
        (_, metadata) => {
          if (refuse) throw new ForbiddenError('no longer a member');
          return { type: 'Count' as const, data: { by: 1 }, metadata };
        },
        { expectNew: true },
      );

    it('is appended without reading the stream first', async () => {
      const { store, reads } = counting();
      const streamId = `counter-${uuidv7()}`;
      const result = await create(new AggregateRunner(store), streamId, uuidv7());
      expect(result.revision).toBe(0);
      expect(reads).toEqual([]);
    });

    it('retried with its command id, answers what it recorded, even when it would be refused now', async () => {
      const { store, reads } = counting();
      const runner = new AggregateRunner(store, { maxRetries: 0 });
      const [streamId, commandId] = [`counter-${uuidv7()}`, uuidv7()];
      const first = await create(runner, streamId, commandId);
      const again = await create(runner, streamId, commandId);
      const refusedNow = await create(runner, streamId, commandId, true);
      expect(again).toEqual(first);
      expect(refusedNow).toEqual(first);
      expect(await system.store.readStream(streamId)).toHaveLength(1);
      expect(reads).toEqual([streamId, streamId]);
    });

    it('that exists under another command is decided on what it holds', async () => {
      const runner = new AggregateRunner(system.store, { maxRetries: 0 });
      const streamId = `counter-${uuidv7()}`;
      await create(runner, streamId, uuidv7());
      const second = await create(runner, streamId, uuidv7());
      expect(second.revision).toBe(1);
      expect((await system.store.readStream(streamId)).at(-1)!.data).toMatchObject({ total: 2 });
    });

    it('is refused when refused on the stream as it is', async () => {
      const runner = new AggregateRunner(system.store, { maxRetries: 0 });
      await expect(create(runner, `counter-${uuidv7()}`, uuidv7(), true)).rejects.toBeInstanceOf(
        ForbiddenError,
      );
    });
  });
});
