/** An HTTP server with the realtime WebSocket rooms on top of a TestApi, and a small WebSocket client. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { Bus } from '../../src/realtime/bus/bus';
import { createRealtimeServer, type RealtimeOptions, type RealtimeServer } from '../../src/realtime/server';
import type { TestApi } from './api';

export interface Served {
  server: Server;
  realtime: RealtimeServer;
  wsUrl(path: string): string;
  close(): Promise<void>;
}

export const serve = async (
  api: TestApi,
  bus: Bus = api.bus,
  options: Partial<RealtimeOptions> = {},
): Promise<Served> => {
  const server = createServer(api.system.app);
  const realtime = createRealtimeServer({
    server,
    bus,
    db: api.knex,
    verifyToken: (token) => api.system.tokens.verify(token),
    isSessionActive: (sessionId) => api.system.sessions.isActive(sessionId),
    membershipCheckMs: 200,
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    realtime,
    wsUrl: (path) => `ws://127.0.0.1:${port}${path}`,
    async close() {
      await realtime.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

export interface TestSocket {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
  waitFor(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export const connect = (
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): TestSocket => {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    opened,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} messages, got ${JSON.stringify(messages)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return messages;
    },
    async close() {
      if (ws.readyState === ws.CLOSED) return;
      ws.close();
      await closed;
    },
  };
};
