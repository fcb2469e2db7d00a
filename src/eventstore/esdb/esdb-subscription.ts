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
  DEFAULT_MAX_BATCH_SIZE,
  EventStoreUnavailableError,
  type Position,
  START,
  type SubscriptionMessage,
  maxPosition,
} from '../port';
import { noUpcast, type Upcast } from '../upcasting';
import { CatchUpTracker } from './esdb-catch-up';
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
import { DeliveryQueue } from './esdb-subscription-queue';

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

const DEFAULT_MAX_CONSECUTIVE_DROPS = 8;
const defaultRetryDelay = (n: number): number => (n <= 1 ? 0 : Math.min(100 * 2 ** (n - 2), 5000));

const SUBSCRIPTION = { operation: 'the subscription to $all' };

/** Lets go of a client subscription (the real client's unsubscribe rejects when the call never opened). */
const release = (source: SubscriptionSource | undefined): void => {
  if (source) void source.unsubscribe().catch(() => undefined);
};

/** The settings of one subscription, with the defaults filled in. */
const settingsOf = (options: EsdbSubscriptionOptions) => {
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
  return {
    from: options.fromPosition ?? START,
    maxBatchSize,
    maxQueued: Math.max(2, options.maxQueued ?? Math.max(4 * maxBatchSize, 1000)),
    maxDrops: options.maxConsecutiveDrops ?? DEFAULT_MAX_CONSECUTIVE_DROPS,
    retryDelay: options.retryDelayMs ?? defaultRetryDelay,
    upcast: options.upcast ?? noUpcast,
    accept: options.accept ?? ((event: { streamId: string; type: string }) => !isSystemEvent(event)),
  };
};

/**
 * One `$all` subscription of the port, kept on one client subscription at a time: opened after the last position
 * it holds, let go while the consumer lags, opened again after drops.
 */
class EsdbAllSubscription {
  private readonly settings: ReturnType<typeof settingsOf>;
  private readonly queue = new DeliveryQueue();
  private readonly catchUp = new CatchUpTracker((atLeast) => {
    this.queue.pushCaughtUp(maxPosition(this.position, atLeast ?? START));
    this.queue.signal();
  });

  /** Everything at or below has been queued or skipped; the server's copies of it are dropped. */
  private position: Position;
  /** A record this subscription received below `position`: where to start again without the skip-one risk. */
  private previous: Position | undefined;
  private positionReceived = false;

  /** Each opened client subscription gets a generation; events of older ones are ignored. */
  private generation = 0;
  private source: SubscriptionSource | undefined;
  private opening: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The queue is full: the client subscription was let go until the consumer has taken half. */
  private letGo = false;
  private dropsInARow = 0;

  private stopped = false;
  private failure: unknown;
  private stopping: Promise<void> | undefined;
  private readonly started: Promise<void>;

  constructor(private readonly options: EsdbSubscriptionOptions) {
    this.settings = settingsOf(options);
    this.position = this.settings.from;
    this.started = this.start();
  }

  /** The next message for the consumer; done once stopped; the failure, once, when there is one. */
  async next(): Promise<IteratorResult<SubscriptionMessage>> {
    for (;;) {
      if (this.stopped) return { done: true, value: undefined };
      if (!this.queue.isEmpty) return { done: false, value: this.take() };
      if (this.failure !== undefined) {
        const error = this.failure;
        await this.stop();
        throw error;
      }
      await this.queue.nextSignal();
    }
  }

  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopped = true;
      this.queue.clear();
      clearTimeout(this.retryTimer);
      this.queue.signal();
      this.stopping = this.unsubscribe();
    }
    return this.stopping;
  }

  private async unsubscribe(): Promise<void> {
    await this.started;
    await this.opening;
    const source = this.source;
    this.detach();
    await source?.unsubscribe().catch(() => undefined);
    this.options.onStopped?.();
  }

  private async start(): Promise<void> {
    try {
      const head = await this.options.readHead();
      if (this.stopped) return;
      this.catchUp.setHead(head, this.settings.from);
      await this.open();
    } catch (error) {
      this.fail(mapEsdbError(error, { operation: 'reading the head of $all' }));
    }
  }

  private take(): SubscriptionMessage {
    const message = this.queue.take(this.settings.maxBatchSize);
    if (this.letGo && this.queue.queuedEvents <= this.settings.maxQueued / 2) {
      this.letGo = false;
      void this.open();
    }
    return message;
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined || this.stopped) return;
    this.failure = error;
    clearTimeout(this.retryTimer);
    release(this.detach());
    this.queue.signal();
  }

  /** Forgets the current client subscription: its later events, markers, errors and end are ignored. */
  private detach(): SubscriptionSource | undefined {
    const source = this.source;
    this.generation += 1;
    this.source = undefined;
    this.catchUp.reset();
    return source;
  }

  private get buffered(): number {
    return this.source?.readableLength ?? 0;
  }

  /** Opens a client subscription after `position`, from a record known to exist before it. */
  private open(): Promise<void> {
    if (this.opening || this.stopped || this.failure !== undefined || this.source)
      return this.opening ?? Promise.resolve();
    const attempt: Promise<void> = this.connect().finally(() => {
      if (this.opening === attempt) this.opening = undefined;
    });
    this.opening = attempt;
    return attempt;
  }

  private async connect(): Promise<void> {
    try {
      const start =
        this.position === START ? START : (this.previous ?? (await this.options.recordBefore(this.position)));
      if (this.stopped || this.failure !== undefined) return;
      const mine = this.generation + 1;
      this.generation = mine;
      const current = () => mine === this.generation && !this.stopped && this.failure === undefined;
      const source = this.options.subscribe(start, (checkpoint) => {
        if (current()) this.onCheckpoint(checkpoint);
      });
      this.source = source;
      this.listen(source, current);
    } catch (error) {
      const reason = subscriptionDropReason(error);
      if (reason && !this.stopped) this.onDrop(reason, error);
      else this.fail(mapEsdbError(error, SUBSCRIPTION));
    }
  }

  /** Hands what the client subscription emits on, while it is the current one. */
  private listen(source: SubscriptionSource, current: () => boolean): void {
    source.on('data', (resolved) => {
      if (current()) this.onData(resolved);
    });
    source.on('caughtUp', () => {
      if (current()) this.catchUp.mark('caughtUp', this.buffered);
    });
    source.on('fellBehind', () => {
      if (current()) this.catchUp.mark('fellBehind', this.buffered);
    });
    source.on('error', (error) => {
      if (!current()) return;
      const reason = subscriptionDropReason(error);
      if (reason) this.onDrop(reason, error);
      else this.fail(mapEsdbError(error, SUBSCRIPTION));
    });
    const ended = () => {
      if (current()) this.onDrop('ended');
    };
    source.on('end', ended);
    source.on('close', ended);
  }

  private onData(resolved: EsdbResolvedLike): void {
    this.catchUp.countReceived();
    try {
      const raw = esdbPositionOf(resolved);
      if (!raw) throw new Error('EventStoreDB sent a $all subscription event without a position');
      if (this.advance(positionFromEsdb(raw))) this.enqueue(resolved);
      this.catchUp.afterEvent(this.position);
      this.queue.signal();
      if (this.queue.queuedEvents >= this.settings.maxQueued && !this.letGo) {
        // Pausing would back up into the server's bounded live buffer; let go and come back later instead.
        this.letGo = true;
        release(this.detach());
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Moves past `at` unless it is held already: starts include a record we hold; servers may repeat a boundary. */
  private advance(at: Position): boolean {
    if (this.position !== START && at <= this.position) return false;
    if (this.positionReceived) this.previous = this.position;
    this.position = at;
    this.positionReceived = true;
    this.dropsInARow = 0;
    return true;
  }

  private enqueue(resolved: EsdbResolvedLike): void {
    if (!resolved.event || !this.settings.accept(resolved.event)) return;
    const event = toRecordedEvent(resolved);
    if (event) this.queue.pushEvent(this.settings.upcast(event));
  }

  private onCheckpoint(checkpoint: EsdbPosition): void {
    this.catchUp.checkpoint(positionFromEsdb(checkpoint), this.buffered);
  }

  private onDrop(reason: SubscriptionDropReason, error?: unknown): void {
    release(this.detach());
    this.dropsInARow += 1;
    if (this.dropsInARow > this.settings.maxDrops) {
      this.fail(
        error === undefined
          ? new EventStoreUnavailableError(
              `the EventStoreDB subscription to $all ended ${this.dropsInARow} times in a row without delivering anything`,
            )
          : mapEsdbError(error, SUBSCRIPTION),
      );
      return;
    }
    this.options.onDropped?.(reason);
    this.scheduleOpen(this.settings.retryDelay(this.dropsInARow));
  }

  private scheduleOpen(delayMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, delayMs);
  }
}

export const createEsdbSubscription = (options: EsdbSubscriptionOptions): AllSubscription => {
  const subscription = new EsdbAllSubscription(options);
  const iterator: AsyncIterator<SubscriptionMessage> = {
    next: () => subscription.next(),
    async return(): Promise<IteratorResult<SubscriptionMessage>> {
      await subscription.stop();
      return { done: true, value: undefined };
    },
  };
  return {
    stop: () => subscription.stop(),
    [Symbol.asyncIterator]: () => iterator,
  };
};
