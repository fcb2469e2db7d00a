import type { Bus, BusMessage, RoomListener, RoomMessage } from './bus';

export interface InProcessBusOptions {
  /** A listener threw; the others still get the message. */
  onListenerError?: (error: unknown, message: BusMessage) => void;
}

/**
 * The single-process bus (no REDIS_URL): delivers synchronously, in publish order, to the room's listeners at
 * the time of delivery. One listener's failure never keeps a message from the others or from the publisher.
 */
export class InProcessBus implements Bus {
  private readonly rooms = new Map<string, Set<RoomListener>>();
  private readonly gapListeners = new Set<() => void>();

  constructor(private readonly options: InProcessBusOptions = {}) {}

  subscribe(room: string, listener: RoomListener): () => void {
    let listeners = this.rooms.get(room);
    if (!listeners) {
      listeners = new Set();
      this.rooms.set(room, listeners);
    }
    // A wrapper per subscription, so the same function subscribed twice is also unsubscribed twice.
    const entry: RoomListener = (message) => listener(message);
    listeners.add(entry);
    return () => {
      const current = this.rooms.get(room);
      if (!current?.delete(entry)) return;
      if (current.size === 0) this.rooms.delete(room);
    };
  }

  /** Delivery is synchronous: a subscription is live at once. */
  async subscribed(_room: string): Promise<void> {}

  /** Delivery never misses a message in-process; a publisher may still have published nothing (announceGap). */
  onGap(listener: () => void): () => void {
    const entry = () => listener();
    this.gapListeners.add(entry);
    return () => this.gapListeners.delete(entry);
  }

  async announceGap(): Promise<void> {
    for (const listener of [...this.gapListeners]) listener();
  }

  async publish(messages: readonly RoomMessage[]): Promise<void> {
    for (const { room, position, message } of messages) {
      const listeners = this.rooms.get(room);
      if (!listeners || listeners.size === 0) continue;
      const delivered: BusMessage = { room, position, payload: JSON.stringify(message) };
      // A copy: a listener may unsubscribe (itself or others) while we deliver.
      for (const listener of [...listeners]) {
        try {
          listener(delivered);
        } catch (error) {
          this.options.onListenerError?.(error, delivered);
        }
      }
    }
  }

  /** Rooms with at least one listener (for metrics and tests). */
  get roomCount(): number {
    return this.rooms.size;
  }

  async close(): Promise<void> {
    this.rooms.clear();
    this.gapListeners.clear();
  }
}

export const createInProcessBus = (options?: InProcessBusOptions): InProcessBus => new InProcessBus(options);
