import { randomUUID } from 'node:crypto';
import { Client, type ClientConfig, type Pool } from 'pg';

/**
 * Wakes subscribers when events may have been committed: from this process's own appends at once, and
 * from other processes through PostgreSQL LISTEN/NOTIFY. A generation counter closes the race between
 * "read found nothing" and "start waiting": a waiter whose generation is stale returns immediately.
 * A notification names the process that sent it: this process's own come back as an echo of appends it has already
 * woken its subscribers for, and waking them again would only cost each of them a read that finds nothing.
 */
export class Wakeup {
  private generation = 0;
  private waiters = new Set<() => void>();
  private listener: Client | null = null;
  private listening: Promise<void> | null = null;
  private closed = false;
  private notifying = false;
  private notifyAgain = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** The payload of this process's notifications (other senders' payloads, empty ones included, wake us). */
  private readonly origin = randomUUID();

  constructor(
    private readonly pool: Pool,
    private readonly clientConfig: ClientConfig,
    readonly channel: string,
  ) {}

  get current(): number {
    return this.generation;
  }

  /** Wakes every waiter; called for local appends and for notifications. */
  bump(): void {
    this.generation += 1;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next bump after `seen`, or after `timeoutMs`. */
  wait(seen: number, timeoutMs: number): Promise<void> {
    if (this.generation !== seen || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Starts listening (once); failures are retried in the background, polling covers the gap. */
  listen(): Promise<void> {
    this.listening ??= this.connectListener();
    return this.listening;
  }

  /**
   * Tells other processes that events were committed. Coalesced: at most one NOTIFY in flight, and one more
   * after it if appends happened meanwhile, so the notify queue's commit lock never sits on the append path.
   */
  notifyCommitted(): void {
    this.bump();
    if (this.closed) return;
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    void this.pool
      .query('SELECT pg_notify($1, $2)', [this.channel, this.origin])
      .catch(() => undefined)
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.notifyCommitted();
        }
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.bump();
    const listener = this.listener;
    this.listener = null;
    if (listener) await listener.end().catch(() => undefined);
  }

  private async connectListener(): Promise<void> {
    if (this.closed) return;
    const client = new Client(this.clientConfig);
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== this.origin) this.bump();
    });
    client.on('error', () => this.scheduleReconnect(client));
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      if (this.closed) {
        // close() ran while we were connecting: it could not end this client, so we do.
        await client.end().catch(() => undefined);
        return;
      }
      this.listener = client;
      // Anything committed while we were not listening is found by the next read.
      this.bump();
    } catch {
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: Client): void {
    if (this.closed || this.reconnectTimer) return;
    if (this.listener === client) this.listener = null;
    void client.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listening = this.connectListener();
    }, 1000);
    this.reconnectTimer.unref();
  }
}
