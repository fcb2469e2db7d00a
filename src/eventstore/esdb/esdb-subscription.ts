/**
 * A `$all` catch-up subscription of `@eventstore/db-client` as the port's `AllSubscription`.
 *
 * The client's subscription is an object-mode Readable of resolved events that also emits `caughtUp` and
 * `fellBehind` (client ≥ 6.1, sent by servers ≥ 23.10; the event carries no position in 6.2.1). What the server
 * does that shapes this file (read in its source, 20.10 to 25.0):
 *
 * - **Its live buffer is bounded.** A consumer that stops reading (a paused stream, full HTTP/2 windows) makes a
 *   server before 24.10 drop the subscription ("Consumer too slow", gRPC ABORTED) once 32 live events wait; later
 *   servers fall behind and catch up again. So the adapter never pauses the client: it reads everything into a
 *   bounded queue, and when the queue is full it lets go of the server subscription and opens a new one, after
 *   the last event it queued, once the consumer has taken half. Nothing waits in the server meanwhile.
 * - **A dropped subscription is opened again** after the last event queued (aborted, unavailable or ended by the
 *   server, with a growing pause after repeated failures); `onDropped` counts each drop. Only refusals (access
 *   denied) and drops in a row without any event between them end the iteration with an error.
 * - **A start position is read as "after the first record at or after it"** by servers before 24.10: if the event
 *   at the start was scavenged, the next one is skipped. So the adapter starts from a record it knows exists
 *   before the one it wants to follow (the one before the last it queued, or the record before the given start,
 *   read from `$all`) and drops everything at or below its own position itself.
 * - `caughtUp` arrives without a position: it is reported at the last position seen, placed after the events the
 *   client had already pushed. For servers that never send it (before 23.10), the head read when subscribing is
 *   the fallback: caught up once the subscription has seen an event at or past it, or a filter checkpoint beyond
 *   it. After `fellBehind` only the server's own `caughtUp` counts: the fallback's head is stale by then.
 */
import type { Position as EsdbPosition } from '@eventstore/db-client';
import {
  type AllSubscription,
  EventStoreUnavailableError,
  type Position,
  type RecordedEvent,
  START,
  type SubscriptionMessage,
  maxPosition,
} from '../port';
import type { Upcast } from '../upcasting';
import {
  type EsdbResolvedLike,
  type SubscriptionDropReason,
  esdbPositionOf,
  isSystemEvent,
  mapEsdbError,
  positionFromEsdb,
  subscriptionDropReason,
  toRecordedEvent,
} from './esdb-mapping';

/** The part of the client's `AllStreamSubscription` this adapter uses. */
export interface SubscriptionSource {
  on(event: 'data', listener: (resolved: EsdbResolvedLike) => void): unknown;
  on(event: 'caughtUp' | 'fellBehind' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Objects pushed by the client's transform but not yet emitted as `data`. */
  readonly readableLength: number;
  /** Cancels the gRPC call; the real one rejects when the call never opened (e.g. discovery failed). */
  unsubscribe(): Promise<void>;
}

export interface EsdbSubscriptionOptions {
  /**
   * Opens a client subscription that starts after `from` (START: the start of the log); `checkpointReached` takes
   * the server's filter checkpoints.
   */
  subscribe(from: Position, checkpointReached: (position: EsdbPosition) => void): SubscriptionSource;
  /** The position of the last record of `$all` (of any stream) before `position`, or START when there is none. */
  recordBefore(position: Position): Promise<Position>;
  /** The position of the last event the subscription will deliver, now (for servers that send no `caughtUp`). */
  readHead(): Promise<Position>;
  /** Exclusive. */
  fromPosition?: Position;
  /** Which events reach the consumer; the default drops system events. */
  accept?: (event: { streamId: string; type: string }) => boolean;
  maxBatchSize?: number;
  /** Most events held for the consumer; at that point the server subscription is let go until half are taken. */
  maxQueued?: number;
  /** Drops in a row (no event between them) after which the iteration fails. */
  maxConsecutiveDrops?: number;
  /** The pause before opening again after the n-th drop in a row (n ≥ 1). */
  retryDelayMs?: (dropsInARow: number) => number;
  upcast?: Upcast;
  /** Told of every drop the adapter recovers from (for metrics). */
  onDropped?: (reason: SubscriptionDropReason) => void;
  /** Called once the subscription has stopped (to forget it). */
  onStopped?: () => void;
}

export const DEFAULT_MAX_BATCH_SIZE = 500;
const DEFAULT_MAX_CONSECUTIVE_DROPS = 8;
const defaultRetryDelay = (n: number): number => (n <= 1 ? 0 : Math.min(100 * 2 ** (n - 2), 5000));

type Item = { kind: 'event'; event: RecordedEvent } | { kind: 'caughtUp'; position: Position };
type Marker = { afterReceived: number; kind: 'caughtUp' | 'fellBehind'; atLeast?: Position };

export const createEsdbSubscription = (options: EsdbSubscriptionOptions): AllSubscription => {
  const from = options.fromPosition ?? START;
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
  const maxQueued = Math.max(2, options.maxQueued ?? Math.max(4 * maxBatchSize, 1000));
  const maxDrops = options.maxConsecutiveDrops ?? DEFAULT_MAX_CONSECUTIVE_DROPS;
  const retryDelay = options.retryDelayMs ?? defaultRetryDelay;
  const upcast = options.upcast ?? ((event: RecordedEvent) => event);
  const accept = options.accept ?? ((event) => !isSystemEvent(event));

  const queue: Item[] = [];
  let queuedEvents = 0;
  /** Everything at or below has been queued or skipped; the server's copies of it are dropped. */
  let position: Position = from;
  /** A record this subscription received below `position`: where to start again without the skip-one risk. */
  let previous: Position | undefined;
  let positionReceived = false;

  /** Each opened client subscription gets a generation; events of older ones are ignored. */
  let generation = 0;
  let source: SubscriptionSource | undefined;
  let markers: Marker[] = [];
  let received = 0;
  let opening: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let letGo = false;
  let dropsInARow = 0;

  let head: Position | undefined;
  let fallbackArmed = true;
  let caughtUp = false;
  let stopped = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const release = (s: SubscriptionSource | undefined) => {
    // The real client's unsubscribe rejects when the call never opened; there is nothing left to release then.
    if (s) void s.unsubscribe().catch(() => undefined);
  };

  /** Forgets the current client subscription: its later events, markers, errors and end are ignored. */
  const detach = (): SubscriptionSource | undefined => {
    const s = source;
    generation += 1;
    source = undefined;
    markers = [];
    received = 0;
    return s;
  };

  const fail = (error: unknown) => {
    if (failure !== undefined || stopped) return;
    failure = error;
    clearTimeout(retryTimer);
    release(detach());
    signal();
  };

  const emitCaughtUp = (atLeast?: Position) => {
    if (caughtUp) return;
    caughtUp = true;
    queue.push({ kind: 'caughtUp', position: maxPosition(position, atLeast ?? START) });
    signal();
  };

  /** Markers sit between the events the client had pushed before it emitted them. */
  const flushMarkers = () => {
    while (markers.length > 0 && markers[0]!.afterReceived <= received) {
      const marker = markers.shift()!;
      if (marker.kind === 'fellBehind') {
        caughtUp = false;
        fallbackArmed = false;
      } else emitCaughtUp(marker.atLeast);
    }
  };

  const mark = (kind: Marker['kind'], atLeast?: Position) => {
    markers.push({
      afterReceived: received + (source?.readableLength ?? 0),
      kind,
      ...(atLeast ? { atLeast } : {}),
    });
    flushMarkers();
  };

  const onData = (resolved: EsdbResolvedLike) => {
    received += 1;
    try {
      const raw = esdbPositionOf(resolved);
      if (!raw) throw new Error('EventStoreDB sent a $all subscription event without a position');
      const at = positionFromEsdb(raw);
      // Starts are inclusive of a record we already hold; a server may also repeat a boundary event.
      if (position === START || at > position) {
        if (positionReceived) previous = position;
        position = at;
        positionReceived = true;
        dropsInARow = 0;
        if (resolved.event && accept(resolved.event)) {
          const event = toRecordedEvent(resolved);
          if (event) {
            queue.push({ kind: 'event', event: upcast(event) });
            queuedEvents += 1;
          }
        }
      }
      flushMarkers();
      if (fallbackArmed && head !== undefined && !caughtUp && position >= head) emitCaughtUp();
      signal();
      if (queuedEvents >= maxQueued && !letGo) {
        // Pausing would back up into the server's bounded live buffer; let go and come back later instead.
        letGo = true;
        release(detach());
      }
    } catch (error) {
      fail(error);
    }
  };

  const onCheckpoint = (checkpoint: EsdbPosition) => {
    // Fallback only: a checkpoint beyond the head proves everything up to the head has been scanned.
    if (fallbackArmed && head !== undefined && !caughtUp && positionFromEsdb(checkpoint) > head)
      mark('caughtUp', head);
  };

  const scheduleOpen = (delayMs: number) => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void open();
    }, delayMs);
  };

  const onDrop = (reason: SubscriptionDropReason, error?: unknown) => {
    release(detach());
    dropsInARow += 1;
    if (dropsInARow > maxDrops) {
      fail(
        error === undefined
          ? new EventStoreUnavailableError(
              `the EventStoreDB subscription to $all ended ${dropsInARow} times in a row without delivering anything`,
            )
          : mapEsdbError(error, { operation: 'the subscription to $all' }),
      );
      return;
    }
    options.onDropped?.(reason);
    scheduleOpen(retryDelay(dropsInARow));
  };

  /** Opens a client subscription after `position`, from a record known to exist before it. */
  const open = (): Promise<void> => {
    if (opening || stopped || failure !== undefined || source) return opening ?? Promise.resolve();
    const run = async () => {
      try {
        const start = position === START ? START : (previous ?? (await options.recordBefore(position)));
        if (stopped || failure !== undefined) return;
        const mine = generation + 1;
        generation = mine;
        const current = () => mine === generation && !stopped && failure === undefined;
        const s = options.subscribe(start, (checkpoint) => {
          if (current()) onCheckpoint(checkpoint);
        });
        source = s;
        s.on('data', (resolved) => {
          if (current()) onData(resolved);
        });
        s.on('caughtUp', () => {
          if (current()) mark('caughtUp');
        });
        s.on('fellBehind', () => {
          if (current()) mark('fellBehind');
        });
        s.on('error', (error) => {
          if (!current()) return;
          const reason = subscriptionDropReason(error);
          if (reason) onDrop(reason, error);
          else fail(mapEsdbError(error, { operation: 'the subscription to $all' }));
        });
        const ended = () => {
          if (current()) onDrop('ended');
        };
        s.on('end', ended);
        s.on('close', ended);
      } catch (error) {
        const reason = subscriptionDropReason(error);
        if (reason && !stopped) onDrop(reason, error);
        else fail(mapEsdbError(error, { operation: 'the subscription to $all' }));
      }
    };
    const attempt: Promise<void> = run().finally(() => {
      if (opening === attempt) opening = undefined;
    });
    opening = attempt;
    return attempt;
  };

  const started = (async () => {
    try {
      head = await options.readHead();
      if (stopped) return;
      if (head <= from) emitCaughtUp();
      await open();
    } catch (error) {
      fail(mapEsdbError(error, { operation: 'reading the head of $all' }));
    }
  })();

  const takeMessage = (): SubscriptionMessage => {
    const first = queue[0]!;
    if (first.kind === 'caughtUp') {
      queue.shift();
      return first;
    }
    const events: RecordedEvent[] = [];
    while (events.length < maxBatchSize && queue[0]?.kind === 'event') {
      events.push((queue.shift() as { event: RecordedEvent }).event);
      queuedEvents -= 1;
    }
    if (letGo && queuedEvents <= maxQueued / 2) {
      letGo = false;
      void open();
    }
    return { kind: 'events', events };
  };

  const stop = (): Promise<void> => {
    if (!stopping) {
      stopped = true;
      queue.length = 0;
      clearTimeout(retryTimer);
      signal();
      stopping = (async () => {
        await started;
        await opening;
        const s = source;
        detach();
        await s?.unsubscribe().catch(() => undefined);
        options.onStopped?.();
      })();
    }
    return stopping;
  };

  const iterator: AsyncIterator<SubscriptionMessage> = {
    async next(): Promise<IteratorResult<SubscriptionMessage>> {
      for (;;) {
        if (stopped) return { done: true, value: undefined };
        if (queue.length > 0) return { done: false, value: takeMessage() };
        if (failure !== undefined) {
          const error = failure;
          await stop();
          throw error;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<SubscriptionMessage>> {
      await stop();
      return { done: true, value: undefined };
    },
  };

  return {
    stop,
    [Symbol.asyncIterator]: () => iterator,
  };
};
