/**
 * A `$all` catch-up subscription of `@eventstore/db-client` as the port's `AllSubscription`.
 *
 * The client's subscription is an object-mode Readable of resolved events that also emits `caughtUp` and
 * `fellBehind` (client ≥ 6.1, sent by servers ≥ 23.10; the event carries no position in 6.2.1). The caught-up
 * position reported here is the last position the subscription has seen, which by construction has been
 * delivered. For older servers that never send `caughtUp`, the head read when subscribing is the fallback:
 * catch-up is reported once the subscription has seen an event at or after that head, or a filter checkpoint
 * beyond it.
 */
import type { Position as EsdbPosition } from '@eventstore/db-client';
import {
  type AllSubscription,
  EventStoreUnavailableError,
  type EventFilter,
  type Position,
  type RecordedEvent,
  START,
  type SubscriptionMessage,
  maxPosition,
} from '../port';
import type { Upcast } from '../upcasting';
import {
  type EsdbResolvedLike,
  esdbPositionOf,
  isDeliverable,
  mapEsdbError,
  positionFromEsdb,
  toRecordedEvent,
} from './esdb-mapping';

/** The part of the client's `AllStreamSubscription` this adapter uses; a PassThrough can stand in for it. */
export interface SubscriptionSource {
  on(event: 'data', listener: (resolved: EsdbResolvedLike) => void): unknown;
  on(event: 'caughtUp' | 'fellBehind' | 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  /** Objects pushed by the client's transform but not yet emitted as `data`. */
  readonly readableLength: number;
  unsubscribe(): Promise<void>;
}

export interface EsdbSubscriptionOptions {
  /** Opens the client subscription; the callback takes the server's filter checkpoints. */
  subscribe(checkpointReached: (position: EsdbPosition) => void): SubscriptionSource;
  /** The last non-system position now (for servers that do not send `caughtUp`). */
  readHead(): Promise<Position>;
  fromPosition?: Position;
  filter?: EventFilter;
  maxBatchSize?: number;
  upcast?: Upcast;
  /** Called once the subscription has stopped (to forget it). */
  onStopped?: () => void;
}

export const DEFAULT_MAX_BATCH_SIZE = 500;

type Item = { kind: 'event'; event: RecordedEvent } | { kind: 'caughtUp'; position: Position };
type Marker = { afterReceived: number; kind: 'caughtUp' | 'fellBehind'; atLeast?: Position };

export const createEsdbSubscription = (options: EsdbSubscriptionOptions): AllSubscription => {
  const from = options.fromPosition ?? START;
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
  const upcast = options.upcast ?? ((event: RecordedEvent) => event);
  const highWater = Math.max(4 * maxBatchSize, 1000);

  const queue: Item[] = [];
  const markers: Marker[] = [];
  let source: SubscriptionSource | undefined;
  let head: Position | undefined;
  let lastSeen: Position = from;
  let received = 0;
  let caughtUp = false;
  let paused = false;
  let stopped = false;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const emitCaughtUp = (atLeast?: Position) => {
    if (caughtUp) return;
    caughtUp = true;
    queue.push({ kind: 'caughtUp', position: maxPosition(lastSeen, atLeast ?? START) });
    signal();
  };

  /** Markers sit between the events the client had pushed before it emitted them. */
  const flushMarkers = () => {
    while (markers.length > 0 && markers[0]!.afterReceived <= received) {
      const marker = markers.shift()!;
      if (marker.kind === 'fellBehind') caughtUp = false;
      else emitCaughtUp(marker.atLeast);
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

  const fail = (error: unknown) => {
    if (failure !== undefined || stopped) return;
    failure = error;
    signal();
    void source?.unsubscribe().catch(() => undefined);
  };

  const onData = (resolved: EsdbResolvedLike) => {
    if (stopped || failure !== undefined) return;
    received += 1;
    try {
      const raw = esdbPositionOf(resolved);
      const position = raw ? positionFromEsdb(raw) : undefined;
      // The server's start is exclusive already; this also guards against a repeated boundary event.
      if (position === undefined || from === START || position > from) {
        const event =
          resolved.event && isDeliverable(resolved.event, options.filter) ? toRecordedEvent(resolved) : null;
        if (event) queue.push({ kind: 'event', event: upcast(event) });
        if (position !== undefined) lastSeen = maxPosition(lastSeen, position);
      }
      flushMarkers();
      if (head !== undefined && !caughtUp && lastSeen >= head) emitCaughtUp();
      if (!paused && queue.length >= highWater) {
        paused = true;
        source?.pause();
      }
      signal();
    } catch (error) {
      fail(error);
    }
  };

  const onCheckpoint = (checkpoint: EsdbPosition) => {
    // Fallback only: a checkpoint beyond the head proves everything up to the head has been scanned.
    if (head !== undefined && !caughtUp && positionFromEsdb(checkpoint) > head) mark('caughtUp', head);
  };

  const started = (async () => {
    try {
      head = await options.readHead();
      if (stopped) return;
      const s = options.subscribe(onCheckpoint);
      source = s;
      s.on('data', onData);
      s.on('caughtUp', () => mark('caughtUp'));
      s.on('fellBehind', () => mark('fellBehind'));
      s.on('error', (error) => fail(mapEsdbError(error)));
      s.on('end', () => {
        ended = true;
        signal();
      });
      s.on('close', () => {
        ended = true;
        signal();
      });
      if (head <= from) emitCaughtUp();
    } catch (error) {
      fail(mapEsdbError(error));
    }
  })();

  const takeMessage = (): SubscriptionMessage => {
    const first = queue[0]!;
    if (first.kind === 'caughtUp') {
      queue.shift();
      return first;
    }
    const events: RecordedEvent[] = [];
    while (events.length < maxBatchSize && queue[0]?.kind === 'event')
      events.push((queue.shift() as { event: RecordedEvent }).event);
    if (paused && queue.length < highWater / 2) {
      paused = false;
      source?.resume();
    }
    return { kind: 'events', events };
  };

  const stop = (): Promise<void> => {
    if (!stopping) {
      stopped = true;
      queue.length = 0;
      signal();
      stopping = (async () => {
        await started;
        await source?.unsubscribe().catch(() => undefined);
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
        if (ended) {
          await stop();
          throw new EventStoreUnavailableError('the EventStoreDB subscription to $all ended unexpectedly');
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
