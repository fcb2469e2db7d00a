import { Client } from 'pg';
import type { RunnerLogger } from './logger';
import { type PgConnection, withApplicationName } from './pg-connection';

export interface NotificationListenerOptions {
  connection: PgConnection;
  channel: string;
  onNotification(payload: string): void;
  /** Called each time LISTEN is (re-)established: notifications sent meanwhile are lost, so look again. */
  onListening(): void;
  reconnectMs?: number;
  logger: RunnerLogger;
}

export interface NotificationListener {
  close(): Promise<void>;
}

/** One LISTEN connection that reconnects by itself after errors; its users poll to cover the gaps. */
export const listenForNotifications = (options: NotificationListenerOptions): NotificationListener => {
  const reconnectMs = options.reconnectMs ?? 1000;
  let client: Client | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const reconnectLater = (failed: Client) => {
    if (closed || failed !== client || timer) return;
    client = null;
    void failed.end().catch(() => undefined);
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, reconnectMs);
    timer.unref();
  };

  const connect = async () => {
    if (closed) return;
    const fresh = new Client(withApplicationName(options.connection, `${options.channel}-listen`));
    client = fresh;
    fresh.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotification(message.payload ?? '');
    });
    fresh.on('error', () => reconnectLater(fresh));
    fresh.on('end', () => reconnectLater(fresh));
    try {
      await fresh.connect();
      await fresh.query(`LISTEN "${options.channel.replace(/"/g, '""')}"`);
      if (closed) return void fresh.end().catch(() => undefined);
      options.onListening();
    } catch (error) {
      options.logger.warn({ err: error, channel: options.channel }, 'LISTEN failed, retrying');
      reconnectLater(fresh);
    }
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = null;
      if (current) await current.end().catch(() => undefined);
    },
  };
};
