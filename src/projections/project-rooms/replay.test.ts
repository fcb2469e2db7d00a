import fc from 'fast-check';
import type { RecordedEvent } from '../../eventstore/port';
import type { RoomMessage } from '../projection';
import { runOps, scenarioArbitrary } from '../../../test/support/read-models/scenarios';
import { applyBatch, snapshot, truncateReadModels } from '../../../test/support/read-models/batches';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';

/** Cuts the events into consecutive batches of the given sizes (cycled). */
const split = (events: readonly RecordedEvent[], sizes: readonly number[]): RecordedEvent[][] => {
  const batches: RecordedEvent[][] = [];
  for (let i = 0, n = 0; i < events.length; n++) {
    const size = sizes[n % sizes.length]!;
    batches.push(events.slice(i, i + size));
    i += size;
  }
  return batches;
};

const RUNS = 30;

describe('every read model, under any batching and replay', () => {
  const bed = useReadModelTestbed('tt_rm_replay');

  it('equals one batch applied from scratch, and re-applying a batch changes nothing', async () => {
    let accepted = 0;
    let events = 0;
    let scenario = 0;
    await fc.assert(
      fc.asyncProperty(
        scenarioArbitrary,
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (ops, sizes, replays) => {
          // Usernames are unique: each run registers its own four users.
          scenario += 1;
          const users: string[] = [];
          for (const name of ['ann', 'bob', 'cem', 'dee'])
            users.push(await bed.world.register(`${name}${scenario}`));
          accepted += await runOps(bed.world, users, ops);
          const log = await bed.readNew();
          events += log.length;

          await truncateReadModels(bed.knex);
          const sent: RoomMessage[] = [];
          let previous: RecordedEvent[] = [];
          for (const [n, batch] of split(log, sizes).entries()) {
            sent.push(...(await applyBatch(bed.knex, batch)));
            if (replays[n % replays.length]) {
              // Re-applying what is already reflected (this batch, or the one before and this one) is a no-op.
              const again = [...previous, ...batch];
              const before = await snapshot(bed.knex);
              expect(await applyBatch(bed.knex, again)).toEqual([]);
              expect(await snapshot(bed.knex)).toEqual(before);
            }
            previous = batch;
          }
          const batched = await snapshot(bed.knex);

          await truncateReadModels(bed.knex);
          const sentAtOnce = await applyBatch(bed.knex, log);
          expect(await snapshot(bed.knex)).toEqual(batched);
          expect(sent).toEqual(sentAtOnce);

          expect(await applyBatch(bed.knex, log)).toEqual([]);
          expect(await snapshot(bed.knex)).toEqual(batched);
        },
      ),
      { numRuns: RUNS },
    );
    // The generator must exercise the domain, not just have its commands refused.
    expect(accepted).toBeGreaterThan(RUNS * 10);
    expect(events).toBeGreaterThan(RUNS * 15);
  }, 120_000);
});
