import type { WebSocket } from 'ws';
import { closeSocket } from './close-socket';
import type { RealtimeMetrics, SocketIdentity } from './options';
import { CLOSE, type RealtimeRoute } from './protocol';
import { type SessionContext, SocketSession } from './socket-session';

/** Shutdown waits this long for a client to answer its close before cutting it. */
const SHUTDOWN_CUT_MS = 1000;

export interface OpenSockets {
  /** A session for a new socket; null, the socket closed with 4029, when its user has as many as allowed. */
  open(ws: WebSocket, route: RealtimeRoute, identity: SocketIdentity): SocketSession | null;
  all(): SocketSession[];
  ofUser(userId: string): SocketSession[];
  /** Open sockets per route. */
  stats(): { projects: number; notifications: number };
  /** Closes every socket with 1001, waiting (a second at most) for each to close. */
  closeAll(): Promise<void>;
}

/**
 * The sockets open on one server, by user: it caps them per user and ends a session when its socket closes.
 * Counting and registering happen before anything is awaited, so sockets connecting at once cannot all pass
 * the cap, and a shutdown that starts meanwhile finds every socket to close.
 */
export const createOpenSockets = (
  context: SessionContext & { maxSocketsPerUser: number; metrics?: RealtimeMetrics },
): OpenSockets => {
  const { maxSocketsPerUser, metrics } = context;
  const sessions = new Set<SocketSession>();
  const byUser = new Map<string, Set<SocketSession>>();

  const closed = (session: SocketSession): void => {
    session.end();
    if (!sessions.delete(session)) return;
    const mine = byUser.get(session.userId);
    if (mine?.delete(session) && mine.size === 0) byUser.delete(session.userId);
    metrics?.socketClosed(session.route);
  };

  const shutDown = (session: SocketSession) =>
    new Promise<void>((resolve) => {
      session.ws.once('close', () => resolve());
      session.close(CLOSE.goingAway, 'server shutting down', SHUTDOWN_CUT_MS);
      setTimeout(resolve, SHUTDOWN_CUT_MS).unref();
    });

  return {
    open(ws, route, identity) {
      const mine = byUser.get(identity.userId) ?? new Set<SocketSession>();
      if (mine.size >= maxSocketsPerUser) {
        const reason = `at most ${maxSocketsPerUser} open sockets per user`;
        closeSocket(ws, CLOSE.tooManySockets, reason, context.closeTimeoutMs);
        return null;
      }
      const session = new SocketSession(ws, route, identity, context);
      mine.add(session);
      byUser.set(identity.userId, mine);
      sessions.add(session);
      metrics?.socketOpened(route);
      ws.on('close', () => closed(session));
      ws.on('error', () => closed(session));
      // Clients have nothing to say on these routes; what they send is read and dropped (maxPayload bounds it).
      ws.on('message', () => undefined);
      return session;
    },
    all: () => [...sessions],
    ofUser: (userId) => [...(byUser.get(userId) ?? [])],
    stats() {
      let projects = 0;
      for (const session of sessions) if (session.route === 'projects') projects += 1;
      return { projects, notifications: sessions.size - projects };
    },
    async closeAll() {
      await Promise.all([...sessions].map(shutDown));
      for (const session of [...sessions]) closed(session);
    },
  };
};
