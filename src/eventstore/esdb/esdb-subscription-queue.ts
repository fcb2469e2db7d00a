import type { Position, RecordedEvent, SubscriptionMessage } from '../port';

type Item = { kind: 'event'; event: RecordedEvent } | { kind: 'caughtUp'; position: Position };

/**
 * What a `$all` subscription holds for its consumer, in order: events and caught-up markers. The subscription
 * bounds it (see esdb-subscription.ts); the consumer waits on it for more.
 */
export class DeliveryQueue {
  private readonly items: Item[] = [];
  private events = 0;
  private wake: (() => void) | undefined;

  get isEmpty(): boolean {
    return this.items.length === 0;
  }

  /** Events waiting for the consumer (caught-up markers not counted). */
  get queuedEvents(): number {
    return this.events;
  }

  pushEvent(event: RecordedEvent): void {
    this.items.push({ kind: 'event', event });
    this.events += 1;
  }

  pushCaughtUp(position: Position): void {
    this.items.push({ kind: 'caughtUp', position });
  }

  /** The next message: a caught-up marker on its own, or up to `maxBatchSize` events in a row. */
  take(maxBatchSize: number): SubscriptionMessage {
    const first = this.items[0]!;
    if (first.kind === 'caughtUp') {
      this.items.shift();
      return first;
    }
    const events: RecordedEvent[] = [];
    while (events.length < maxBatchSize && this.items[0]?.kind === 'event') {
      events.push((this.items.shift() as { event: RecordedEvent }).event);
      this.events -= 1;
    }
    return { kind: 'events', events };
  }

  clear(): void {
    this.items.length = 0;
    this.events = 0;
  }

  /** Wakes the consumer waiting in `nextSignal()`. */
  signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Resolves at the next `signal()`. */
  nextSignal(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }
}
