import type { Server } from 'node:http';
import type { Knex } from 'knex';
import type { Bus } from './bus/bus';
import type { RealtimeRoute } from './protocol';

/** Who a valid access token names, from which login, until when (ms since the epoch). */
export interface SocketIdentity {
  userId: string;
  sessionId: string | null;
  expiresAt: number;
}

export interface RealtimeMetrics {
  socketOpened(route: RealtimeRoute): void;
  socketClosed(route: RealtimeRoute): void;
  messagesSent(route: RealtimeRoute, count: number): void;
  slowSocketDropped(route: RealtimeRoute): void;
}

export interface RealtimeLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RealtimeOptions {
  server: Server;
  bus: Bus;
  db: Knex;
  /** The identity of a valid access token, or null. */
  verifyToken(token: string): SocketIdentity | null;
  /** Whether a login (refresh token family) is still in force; a socket of a revoked one is refused with 4001. */
  isSessionActive?(sessionId: string): Promise<boolean>;
  /** Open sockets one user may have on this server; the next is closed with 4029 (`WS_SOCKETS_PER_USER`). */
  maxSocketsPerUser: number;
  /** A socket the server closes is cut this long after, if the client never answers the close. Default 3 s. */
  closeTimeoutMs?: number;
  logger?: RealtimeLogger;
  metrics?: RealtimeMetrics;
  /** Ping interval; a socket that has not answered the previous ping is dropped. Default 30 s. */
  heartbeatMs?: number;
  /** A socket whose send buffer passes this many bytes is closed with 1013 instead of growing memory. Default 1 MiB. */
  maxBufferedBytes?: number;
}

/** The limits a server runs with: the options' values, or the defaults. */
export interface RealtimeLimits {
  maxSocketsPerUser: number;
  closeTimeoutMs: number;
  heartbeatMs: number;
  maxBufferedBytes: number;
}

export const limitsOf = (options: RealtimeOptions): RealtimeLimits => ({
  maxSocketsPerUser: options.maxSocketsPerUser,
  closeTimeoutMs: options.closeTimeoutMs ?? 3000,
  heartbeatMs: options.heartbeatMs ?? 30_000,
  maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
});
