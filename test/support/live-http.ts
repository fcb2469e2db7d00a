/**
 * Real HTTP against a TestApi: one listening server for the suite and a small `fetch` client, for suites that
 * send many requests at once (supertest starts a server per request), and for WebSocket suites on the same port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestApi, TestUser } from './api';
import { runJob } from './jobs';

export interface LiveAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | null;
  text: string;
}

export interface LiveHttp {
  base: string;
  server: Server;
  call(
    method: string,
    path: string,
    options?: { as?: TestUser | null; headers?: Record<string, string>; body?: unknown },
  ): Promise<LiveAnswer>;
}

export const liveHttp = async (api: TestApi): Promise<LiveHttp & { close(): Promise<void> }> => {
  const server = createServer(api.system.app);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    server,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.as) headers.authorization = `Bearer ${options.as.access}`;
      if (options.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${base}${path}`, {
        method: method.toUpperCase(),
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      const text = await res.text();
      let body: Record<string, unknown> | null = null;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
      } catch {
        body = null;
      }
      return { status: res.status, headers: res.headers, body, text };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** The suite's live server on `api` (a `useTestApi()`), closed after its last test. */
export const useLiveHttp = (api: TestApi): LiveHttp => {
  const live = {} as LiveHttp & { close?: () => Promise<void> };
  beforeAll(async () => {
    Object.assign(live, await liveHttp(api));
  });
  afterAll(() => live.close?.());
  return live;
};

/**
 * The position of the last event committed to the PostgreSQL log, once the store's head has reached it: the head
 * stops below a transaction still in flight (so that no reader skips it), which may hide events committed after it.
 */
export const committedHead = async (api: TestApi, deadline = Date.now() + 20_000): Promise<string> => {
  for (;;) {
    const { rows } = await api.pool.query<{ tx_id: string; seq: string }>(
      'SELECT tx_id::text, seq::text FROM events ORDER BY tx_id DESC, seq DESC LIMIT 1',
    );
    const hex = (n: string) => BigInt(n).toString(16).padStart(16, '0');
    const last = rows[0] ? `${hex(rows[0].tx_id)}-${hex(rows[0].seq)}` : null;
    const head = await api.system.store.headPosition();
    if (last === null || head >= last) return head;
    if (Date.now() > deadline) throw new Error(`the log's head stays at ${head}, below ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/**
 * Waits until the read models and the reactions have applied the whole log as it is now (the jobs a test runs
 * after this read what every command so far did).
 */
export const settle = async (api: TestApi, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  const head = await committedHead(api, deadline);
  if (!(await api.system.waiter.waitFor(head, timeoutMs)))
    throw new Error(`the read models did not reach ${head}`);
  for (;;) {
    const behind = (await api.system.reactor.status()).filter((s) => s.lagEvents > 0);
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`the reactions lag: ${JSON.stringify(behind)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/**
 * Runs the member-removal process until nothing is pending and the log stands still (the reactions also wake the
 * job in the background), as the scheduler would every few seconds; then the read models have it all.
 */
export const finishRemovals = async (api: TestApi): Promise<void> => {
  for (let i = 0; i < 50; i++) {
    const head = await committedHead(api);
    await settle(api);
    const { rows } = await api.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM member_removals WHERE status = 'pending'",
    );
    if (rows[0]!.n === 0 && (await committedHead(api)) === head) return;
    await runJob(api, 'member-removals').catch(() => undefined);
  }
  throw new Error('member removals still pending after 50 runs');
};
