import { Redis, type RedisOptions } from 'ioredis';
import type { Bus, BusMessage, RoomListener, RoomMessage } from './bus';

export interface RedisBusOptions {
  url: string;
  /** Channel prefix, so several deployments (or test runs) can share one Redis. */
  prefix?: string;
  /** Called after the subscriber connection came back: messages may have been missed meanwhile. */
  onReconnect?: () => void;
  onError?: (error: unknown) => void;
  onListenerError?: (error: unknown, message: BusMessage) => void;
  /** Client name suffix (CLIENT LIST shows `tt-bus-publisher-<name>`, `tt-bus-subscriber-<name>`). */
  name?: string;
}

// A position is 33 characters, so a channel message is the position followed by the JSON text: no second parse.
const POSITION_LENGTH = 33;

/**
 * The bus over Redis pub/sub, for several API processes sharing rooms: one channel per room, one connection to
 * publish (a batch is one pipeline) and one dedicated to subscribing, which ioredis reconnects and resubscribes.
 * Publishing fails fast while Redis is down (the projector logs it; clients resume by position).
 */
export class RedisBus implements Bus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly rooms = new Map<string, Set<RoomListener>>();
  private readonly confirmations = new Map<string, Promise<void>>();
  private readonly gapListeners = new Set<() => void>();
  private everReady = false;
  private closed = false;
  /** A publish failed: subscribers everywhere must be told to fill the gap from the feed. */
  private gapToAnnounce = false;
  /** Messages received since the subscriber came back, until the gap is signalled (then delivered). */
  private heldUntilGap: Array<[channel: string, data: string]> | null = null;

  constructor(private readonly options: RedisBusOptions) {
    this.prefix = options.prefix ?? 'tt:room:';
    const common: RedisOptions = {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    };
    this.publisher = new Redis(options.url, {
      ...common,
      connectionName: `tt-bus-publisher-${options.name ?? process.pid}`,
    });
    this.subscriber = new Redis(options.url, {
      ...common,
      // Subscriptions must survive a reconnect; commands issued while down wait for it.
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: true,
      connectionName: `tt-bus-subscriber-${options.name ?? process.pid}`,
    });
    const onError = (error: unknown) => options.onError?.(error);
    this.publisher.on('error', onError);
    this.subscriber.on('error', onError);
    this.subscriber.on('ready', () => {
      if (this.everReady && !this.closed) {
        // ioredis says 'ready' before it resubscribes; a PING sent after that is answered after the
        // SUBSCRIBEs, so the gap is filled only once live messages flow again. Messages that arrive before that
        // answer are held until the gap is signalled: delivered first, one would move its sockets past what
        // they missed, and the fill (which starts from a socket's last position) would never send it.
        this.heldUntilGap ??= [];
        setImmediate(() => {
          this.subscriber.ping().then(
            () => {
              this.options.onReconnect?.();
              this.releaseHeld();
            },
            (error: unknown) => {
              options.onError?.(error);
              this.releaseHeld();
            },
          );
        });
      }
      this.everReady = true;
    });
    this.publisher.on('ready', () => {
      if (this.gapToAnnounce) void this.announceGap();
    });
    void this.subscriber.subscribe(this.gapChannel).catch((error: unknown) => options.onError?.(error));
    this.subscriber.on('messageBuffer', (channel: Buffer, data: Buffer) => {
      if (this.heldUntilGap) this.heldUntilGap.push([channel.toString(), data.toString()]);
      else this.deliver(channel.toString(), data.toString());
    });
  }

  /** Resolves once both connections are ready (or rejects after `timeoutMs`). */
  async ready(timeoutMs = 5000): Promise<void> {
    const wait = (client: Redis) =>
      client.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('redis did not become ready')), timeoutMs);
            client.once('ready', () => {
              clearTimeout(timer);
              resolve();
            });
          });
    await Promise.all([wait(this.publisher), wait(this.subscriber)]);
  }

  subscribe(room: string, listener: RoomListener): () => void {
    let listeners = this.rooms.get(room);
    if (!listeners) {
      listeners = new Set();
      this.rooms.set(room, listeners);
      const confirmed = this.subscriber.subscribe(this.channel(room)).then(
        () => undefined,
        (error: unknown) => this.options.onError?.(error),
      );
      this.confirmations.set(room, confirmed);
    }
    const entry: RoomListener = (message) => listener(message);
    listeners.add(entry);
    return () => {
      const current = this.rooms.get(room);
      if (!current?.delete(entry) || current.size > 0) return;
      this.rooms.delete(room);
      this.confirmations.delete(room);
      if (!this.closed) {
        void this.subscriber
          .unsubscribe(this.channel(room))
          .catch((error: unknown) => this.options.onError?.(error));
      }
    };
  }

  subscribed(room: string): Promise<void> {
    return this.confirmations.get(room) ?? Promise.resolve();
  }

  onGap(listener: () => void): () => void {
    // A wrapper per call, so the same function added twice is also removed twice.
    const entry = () => listener();
    this.gapListeners.add(entry);
    return () => this.gapListeners.delete(entry);
  }

  /**
   * Publishes a batch in one pipeline. A failure is remembered: the next publish (or the publisher's reconnect)
   * first tells every subscriber that messages were lost, so each server replays its sockets from the feed.
   */
  async publish(messages: readonly RoomMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const pipeline = this.publisher.pipeline();
    if (this.gapToAnnounce) pipeline.publish(this.gapChannel, 'gap');
    for (const { room, position, message } of messages) {
      pipeline.publish(this.channel(room), `${position}${JSON.stringify(message)}`);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
      this.gapToAnnounce = false;
    } catch (error) {
      this.gapToAnnounce = true;
      throw error;
    }
  }

  /** Every subscriber of every process fills the gap; if Redis is down, the next publish or reconnect tells them. */
  async announceGap(): Promise<void> {
    this.gapToAnnounce = true;
    try {
      await this.publisher.publish(this.gapChannel, 'gap');
      this.gapToAnnounce = false;
    } catch {
      // still down: the next publish or reconnect tries again
    }
  }

  /** Signals the gap (sockets start filling it, holding what comes live), then delivers what was held. */
  private releaseHeld(): void {
    const held = this.heldUntilGap ?? [];
    this.heldUntilGap = null;
    this.signalGap();
    for (const [channel, data] of held) this.deliver(channel, data);
  }

  private signalGap(): void {
    for (const listener of [...this.gapListeners]) listener();
  }

  private get gapChannel(): string {
    return `${this.prefix}__gap__`;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.heldUntilGap = null;
    this.rooms.clear();
    this.gapListeners.clear();
    // QUIT on a connection that is not up would wait behind the offline queue forever: just drop it.
    const end = async (client: Redis): Promise<void> => {
      if (client.status !== 'ready') return client.disconnect();
      await client.quit().catch(() => client.disconnect());
    };
    await Promise.all([end(this.publisher), end(this.subscriber)]);
  }

  private channel(room: string): string {
    return `${this.prefix}${room}`;
  }

  private deliver(channel: string, data: string): void {
    if (channel === this.gapChannel) {
      this.signalGap();
      return;
    }
    if (!channel.startsWith(this.prefix)) return;
    const room = channel.slice(this.prefix.length);
    const listeners = this.rooms.get(room);
    if (!listeners || data.length <= POSITION_LENGTH) return;
    const message: BusMessage = {
      room,
      position: data.slice(0, POSITION_LENGTH),
      payload: data.slice(POSITION_LENGTH),
    };
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch (error) {
        this.options.onListenerError?.(error, message);
      }
    }
  }
}
