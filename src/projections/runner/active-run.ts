import type { Knex } from 'knex';
import type { AllSubscription, EventStore, Position, RecordedEvent } from '../../eventstore/port';
import type { Projection } from '../projection';
import { applyBatch } from './apply-batch';
import {
  CheckpointStoreMismatchError,
  claimCheckpoints,
  ensureCheckpoints,
  lowestCheckpoint,
  readCheckpoints,
} from './checkpoints';
import type { RunnerLogger } from './logger';
import type { ProjectorHooks } from './projector-options';
import type { PublishChain } from './publish-chain';
import { sleep } from './sleep';

class LeadershipLost extends Error {
  override readonly name = 'LeadershipLost';
}

/** What the active projector works with, and the last position it committed (START until then). */
export interface ActiveRun {
  readonly store: EventStore;
  readonly knex: Knex;
  readonly projections: readonly Projection[];
  readonly names: readonly string[];
  readonly channel: string;
  readonly batchSize: number;
  readonly retryDelayMs: number;
  /** See ProjectorOptions.lingerMs. */
  readonly lingerMs: number;
  readonly logger: RunnerLogger;
  readonly hooks: ProjectorHooks | undefined;
  readonly publishing: PublishChain;
  position: Position;
}

/** Reads and applies until `term` aborts (stop, or the lock's session died); restarts after failures. */
export const runActive = async (run: ActiveRun, term: AbortSignal): Promise<void> => {
  while (!term.aborted) {
    try {
      await followLog(run, term);
    } catch (error) {
      if (term.aborted) break;
      // Retrying cannot help: an operator has to rebuild the read models or point back at the other store.
      if (error instanceof CheckpointStoreMismatchError) throw error;
      // The subscription has moved past the failed batch: read again from the committed checkpoints.
      run.logger.error({ err: error }, 'projector batch failed, restarting from the checkpoints');
      await sleep(run.retryDelayMs, term);
    }
  }
};

/**
 * Subscribes to the whole log from the lowest committed checkpoint; the checkpoints read are what the first batch
 * expects to find.
 */
const subscribeFromCheckpoints = async (
  run: ActiveRun,
): Promise<{ subscription: AllSubscription; checkpoints: Map<string, Position> }> => {
  await ensureCheckpoints(run.knex, run.names);
  // Positions of another store's log would be read as positions in this one: stop instead (see runActive).
  await claimCheckpoints(run.knex, run.names, run.store.kind);
  const rows = await readCheckpoints(run.knex, run.names);
  const checkpoints = new Map(rows.map((r) => [r.name, r.position]));
  const from = lowestCheckpoint(run.names, checkpoints);
  return {
    subscription: run.store.subscribeToAll({ fromPosition: from, maxBatchSize: run.batchSize }),
    checkpoints,
  };
};

/** One subscription, applied batch by batch until it ends, a batch fails, or `term` aborts. */
const followLog = async (run: ActiveRun, term: AbortSignal): Promise<void> => {
  const { subscription, checkpoints } = await subscribeFromCheckpoints(run);
  let expected = checkpoints;
  // The batch before this subscription (this instance's that failed, or another instance's that died) may have
  // committed without its messages being published, and reading on from the checkpoints will not publish them.
  run.publishing.announceGap();
  const stopSubscription = () => void subscription.stop();
  term.addEventListener('abort', stopSubscription);
  try {
    if (term.aborted) return;
    for await (const message of subscription) {
      if (term.aborted) break;
      if (message.kind === 'events' && message.events.length > 0) {
        expected = await applyEvents(run, message.events, expected, term);
        if (run.lingerMs > 0 && message.events.length < run.batchSize) await sleep(run.lingerMs, term);
      }
    }
  } finally {
    term.removeEventListener('abort', stopSubscription);
    await subscription.stop();
  }
};

/**
 * One batch in one transaction with the checkpoints; its realtime messages are queued after the commit. Answers
 * the checkpoints it committed.
 */
const applyEvents = async (
  run: ActiveRun,
  events: readonly RecordedEvent[],
  expected: ReadonlyMap<string, Position>,
  term: AbortSignal,
): Promise<Map<string, Position>> => {
  const result = await applyBatch({
    knex: run.knex,
    projections: run.projections,
    events,
    expected,
    channel: run.channel,
    beforeCommit: async (trx) => {
      // Leadership may have gone while the batch ran; the checkpoint locks keep a late commit exact,
      // but an instance that lost the lock should stop writing at once.
      if (term.aborted) throw new LeadershipLost('lock lost before commit');
      await run.hooks?.beforeCommit?.(events, trx);
    },
  });
  run.position = result.position;
  run.publishing.publish(result.messages);
  await run.hooks?.afterCommit?.(result.position);
  return result.checkpoints;
};
