/** An HTTP server with the realtime WebSocket rooms on top of a TestApi, a small WebSocket client, and setup. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { DEFAULTS } from '../../src/platform/config';
import type { Bus } from '../../src/realtime/bus/bus';
import { createRealtimeServer, type RealtimeOptions, type RealtimeServer } from '../../src/realtime/server';
import type { TestApi, TestUser } from './api';
import { expectStatus } from './http';

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
    maxSocketsPerUser: DEFAULTS.socketsPerUser,
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

/** The suite's rooms, served on `api` (a `useTestApi()`) over its in-process bus; closed after the last test. */
export const useServedRooms = (api: TestApi, options: Partial<RealtimeOptions> = {}): Served => {
  const served = {} as Served;
  beforeAll(async () => {
    Object.assign(served, await serve(api, api.bus, options));
  });
  afterAll(() => served.close?.());
  return served;
};

/** The organization's owner (or a manager) removes the member. */
export const removeMember = async (
  api: TestApi,
  by: TestUser,
  organizationId: string,
  userId: string,
): Promise<void> => {
  const res = await api.http
    .delete(`/api/v1/organizations/${organizationId}/members/${userId}/`)
    .set(by.auth);
  expectStatus(res, 204);
};

/**
 * Kills the Redis connection with this CLIENT name, as a network cut would (only it: suites share the server).
 * Returns its id, or undefined when no connection has that name.
 */
export const killRedisClient = async (url: string, name: string): Promise<string | undefined> => {
  const admin = new Redis(url);
  try {
    const clients = (await admin.client('LIST')) as string;
    const id = clients
      .split('\n')
      .find((line) => line.includes(`name=${name}`))
      ?.match(/id=(\d+)/)?.[1];
    if (id !== undefined) await admin.client('KILL', 'ID', id);
    return id;
  } finally {
    await admin.quit();
  }
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
        await sleep(10);
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
