import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Knex } from 'knex';
import { type WebSocket, WebSocketServer } from 'ws';
import { isPosition, type Position, START } from '../eventstore/port';
import { FEED_PAGE_MAX, feedSince, latestFeedPosition } from '../projections/activity/queries';
import { currentMemberships } from '../projections/organizations/queries';
import { projectAccess } from '../projections/projects/queries';
import type { Bus, BusMessage } from './bus/bus';
import {
  BROADCAST_ROOM,
  CLOSE,
  parseRoute,
  RESYNC,
  type RealtimeRoute,
  SESSIONS_ROOM,
  type SessionRevoked,
  tokenFrom,
  userRoom,
} from './protocol';

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

export interface RealtimeOptions {
  server: Server;
  bus: Bus;
  db: Knex;
  /** The identity of a valid access token, or null. */
  verifyToken(token: string): SocketIdentity | null;
  /** Whether a login (refresh token family) is still in force; a socket of a revoked one is refused with 4001. */
  isSessionActive?(sessionId: string): Promise<boolean>;
  /** Open sockets one user may have on this server; the next is closed with 4029. Default 20. */
  maxSocketsPerUser?: number;
  /** A socket the server closes is cut this long after, if the client never answers the close. Default 3 s. */
  closeTimeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  metrics?: RealtimeMetrics;
  /** Ping interval; a socket that has not answered the previous ping is dropped. */
  heartbeatMs?: number;
  /** A socket whose send buffer passes this many bytes is closed with 1013 instead of growing memory. */
  maxBufferedBytes?: number;
  /** How often memberships of connected users are checked (a removed member is closed with 4003). */
  membershipCheckMs?: number;
}

interface Client {
  ws: WebSocket;
  route: RealtimeRoute;
  userId: string;
  sessionId: string | null;
  /** Closes the socket with 4001 when its token expires. */
  expiry: NodeJS.Timeout;
  rooms: string[];
  projectId?: string;
  organizationId?: string;
  /** The last position sent: anything at or below it is a duplicate. */
  lastPosition: Position;
  /** Live messages held while the client's history is replayed. */
  held: BusMessage[] | null;
  alive: boolean;
  /** Set once the socket is gone: a connection still being set up must not join rooms after it. */
  closed: boolean;
  /** Connected and caught up: a gap can be filled by replaying from `lastPosition`. */
  ready: boolean;
  replaying: boolean;
  /** A gap was signalled while connecting or replaying: replay (again) when that is done. */
  replayAgain: boolean;
}

interface Room {
  clients: Set<Client>;
  unsubscribe: () => void;
}

/**
 * WebSocket rooms on the API's HTTP server. Each room is fed by the bus; a message is serialized once per room
 * (one Buffer) whatever the number of sockets. `?since=` replays the room's feed, holding live messages until
 * the replay is done and dropping duplicates by position, so the switch to live has no gap and no repeat.
 */
export const createRealtimeServer = (options: RealtimeOptions) => {
  const { bus, db, metrics } = options;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 4096,
    clientTracking: false,
    handleProtocols: (protocols) => {
      const other = [...protocols].find((p) => !p.startsWith('bearer.'));
      return other ?? [...protocols][0] ?? false;
    },
  });
  const rooms = new Map<string, Room>();
  const clients = new Set<Client>();
  const byUser = new Map<string, Set<Client>>();
  const maxSocketsPerUser = options.maxSocketsPerUser ?? 20;
  const closeTimeoutMs = options.closeTimeoutMs ?? 3000;
  let closing = false;

  /** Closes with a code; a client that never answers the close handshake is cut after `closeTimeoutMs`. */
  const closeSocket = (ws: WebSocket, code: number, reason: string): void => {
    ws.close(code, reason);
    const cut = setTimeout(() => ws.terminate(), closeTimeoutMs);
    cut.unref();
    ws.once('close', () => clearTimeout(cut));
  };

  const send = (client: Client, message: BusMessage, data: Buffer): void => {
    if (message.position <= client.lastPosition) return;
    if (client.ws.bufferedAmount > maxBufferedBytes) {
      metrics?.slowSocketDropped(client.route);
      closeSocket(client.ws, CLOSE.tryAgainLater, 'too slow; resume with since');
      return;
    }
    client.lastPosition = message.position;
    client.ws.send(data, { binary: false });
    metrics?.messagesSent(client.route, 1);
  };

  const fanOut = (room: string) => (message: BusMessage) => {
    const members = rooms.get(room)?.clients;
    if (!members) return;
    const data = Buffer.from(message.payload);
    for (const client of members) {
      if (client.held) client.held.push(message);
      else send(client, message, data);
    }
  };

  const join = async (client: Client, room: string): Promise<void> => {
    if (client.closed) return;
    let entry = rooms.get(room);
    if (!entry) {
      entry = { clients: new Set(), unsubscribe: bus.subscribe(room, fanOut(room)) };
      rooms.set(room, entry);
    }
    entry.clients.add(client);
    client.rooms.push(room);
    await bus.subscribed(room);
  };

  const leave = (client: Client): void => {
    client.closed = true;
    clearTimeout(client.expiry);
    const mine = byUser.get(client.userId);
    if (mine?.delete(client) && mine.size === 0) byUser.delete(client.userId);
    if (clients.delete(client)) metrics?.socketClosed(client.route);
    for (const room of client.rooms.splice(0)) {
      const entry = rooms.get(room);
      if (!entry) continue;
      entry.clients.delete(client);
      if (entry.clients.size === 0) {
        entry.unsubscribe();
        rooms.delete(room);
      }
    }
  };

  /** Sends what arrived while the connection was being set up, and lets later messages through. */
  const releaseHeld = (client: Client): void => {
    const held = client.held ?? [];
    client.held = null;
    for (const message of held) send(client, message, Buffer.from(message.payload));
  };

  /** Sends the project feed after the client's last position, then what arrived live meanwhile. */
  const replay = async (client: Client): Promise<void> => {
    if (client.replaying) {
      client.replayAgain = true;
      return;
    }
    client.replaying = true;
    client.held ??= [];
    try {
      do {
        client.replayAgain = false;
        for (;;) {
          const page = await feedSince(db, client.projectId!, client.lastPosition);
          if (page === null) {
            client.ws.send(RESYNC);
            break;
          }
          for (const message of page) {
            if (client.closed || client.ws.readyState !== client.ws.OPEN) return;
            const payload = JSON.stringify(message);
            send(client, { room: '', position: message.position, payload }, Buffer.from(payload));
          }
          if (page.length < FEED_PAGE_MAX) break;
        }
      } while (client.replayAgain && !client.closed);
    } finally {
      client.replaying = false;
      releaseHeld(client);
    }
  };

  /** The connection is set up: from now on a gap is filled by a replay, and one signalled meanwhile is filled now. */
  const markReady = async (client: Client): Promise<void> => {
    client.ready = true;
    if (client.replayAgain && !client.closed) await replay(client);
  };

  const connectProject = async (client: Client, projectId: string, since: string | null): Promise<void> => {
    const access = await projectAccess(db, projectId, client.userId);
    if (client.closed) return;
    if (!access) return closeSocket(client.ws, CLOSE.noSuchProject, 'no such project');
    if (!access.role) return closeSocket(client.ws, CLOSE.notMember, 'not a member');
    client.projectId = projectId;
    client.organizationId = access.organizationId;
    client.held = [];
    await join(client, `project:${projectId}`);
    if (client.closed) return;
    if (since !== null && isPosition(since)) {
      client.lastPosition = since;
      await replay(client);
      return markReady(client);
    }
    if (since !== null) client.ws.send(RESYNC);
    client.lastPosition = await latestFeedPosition(db, projectId);
    releaseHeld(client);
    return markReady(client);
  };

  const onConnection = async (ws: WebSocket, req: IncomingMessage, url: URL): Promise<void> => {
    const target = parseRoute(url.pathname)!;
    const token = tokenFrom(
      url,
      req.headers as { authorization?: string; 'sec-websocket-protocol'?: string },
    );
    const identity = token ? options.verifyToken(token) : null;
    if (!identity) return closeSocket(ws, CLOSE.notAuthenticated, 'not authenticated');
    const { userId, sessionId } = identity;
    // Counted and registered before anything is awaited: sockets connecting at once cannot all pass the cap,
    // and a shutdown that starts meanwhile finds this socket to close.
    const mine = byUser.get(userId) ?? new Set<Client>();
    if (mine.size >= maxSocketsPerUser)
      return closeSocket(ws, CLOSE.tooManySockets, `at most ${maxSocketsPerUser} open sockets per user`);
    const client: Client = {
      ws,
      route: target.route,
      userId,
      sessionId,
      expiry: setTimeout(
        () => closeSocket(ws, CLOSE.notAuthenticated, 'the token expired'),
        Math.max(0, identity.expiresAt - Date.now()),
      ),
      rooms: [],
      lastPosition: START,
      held: [],
      alive: true,
      closed: false,
      ready: false,
      replaying: false,
      replayAgain: false,
    };
    client.expiry.unref();
    mine.add(client);
    byUser.set(userId, mine);
    clients.add(client);
    metrics?.socketOpened(client.route);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => leave(client));
    ws.on('error', () => leave(client));
    // Clients have nothing to say on these routes; what they send is read and dropped (maxPayload bounds it).
    ws.on('message', () => undefined);
    if (target.route === 'notifications') {
      // Joined before the login is checked, holding what arrives meanwhile: nothing sent after the handshake is lost.
      await join(client, userRoom(userId));
      await join(client, BROADCAST_ROOM);
    }
    if (sessionId !== null && options.isSessionActive && !(await options.isSessionActive(sessionId)))
      return closeSocket(ws, CLOSE.notAuthenticated, 'this login has ended');
    if (client.closed) return;
    if (target.route === 'projects')
      return connectProject(client, target.projectId!, url.searchParams.get('since'));
    releaseHeld(client);
    client.ready = true;
  };

  const refuse = (socket: Duplex, status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // This runs outside express: anything thrown here would be an uncaught exception, so parse defensively.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      refuse(socket, '400 Bad Request');
      return;
    }
    if (closing) {
      refuse(socket, '503 Service Unavailable');
      return;
    }
    if (!parseRoute(url.pathname)) {
      refuse(socket, '404 Not Found');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      onConnection(ws, req, url).catch((error: unknown) => {
        options.logger?.error({ err: error }, 'websocket connection failed');
        closeSocket(ws, 1011, 'server error');
      });
    });
  };
  options.server.on('upgrade', onUpgrade);

  // Redis came back: messages published meanwhile were lost to this process; send them from the feed.
  bus.onGap(() => {
    for (const client of clients) {
      if (!client.projectId) continue;
      if (!client.ready) {
        client.replayAgain = true;
        continue;
      }
      replay(client).catch((error: unknown) => options.logger?.warn({ err: error }, 'gap replay failed'));
    }
  });

  // A login ended somewhere (any API process): its sockets on this server close.
  const stopWatchingSessions = bus.subscribe(SESSIONS_ROOM, (message) => {
    let revoked: SessionRevoked;
    try {
      revoked = JSON.parse(message.payload) as SessionRevoked;
    } catch {
      return;
    }
    for (const client of byUser.get(revoked.user_id) ?? []) {
      if (client.sessionId === revoked.session_id)
        closeSocket(client.ws, CLOSE.notAuthenticated, 'this login has ended');
    }
  });

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        client.ws.terminate();
        leave(client);
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  let checking = false;
  const membershipCheck = setInterval(async () => {
    if (checking) return;
    checking = true;
    try {
      const pairs = new Map<string, { organizationId: string; userId: string }>();
      for (const c of clients) {
        if (c.organizationId)
          pairs.set(`${c.organizationId}|${c.userId}`, {
            organizationId: c.organizationId,
            userId: c.userId,
          });
      }
      if (pairs.size === 0) return;
      const members = await currentMemberships(db, [...pairs.values()]);
      for (const c of clients) {
        if (c.organizationId && !members.has(`${c.organizationId}|${c.userId}`))
          closeSocket(c.ws, CLOSE.notMember, 'no longer a member');
      }
    } catch (error) {
      options.logger?.warn({ err: error }, 'membership check failed');
    } finally {
      checking = false;
    }
  }, options.membershipCheckMs ?? 500);
  membershipCheck.unref();

  return {
    /** Open sockets per route. */
    stats() {
      let projects = 0;
      for (const c of clients) if (c.route === 'projects') projects += 1;
      return { projects, notifications: clients.size - projects, rooms: rooms.size };
    },
    /** Stops accepting, closes every socket with 1001. */
    async close(): Promise<void> {
      closing = true;
      stopWatchingSessions();
      clearInterval(heartbeat);
      clearInterval(membershipCheck);
      options.server.off('upgrade', onUpgrade);
      const closed = [...clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.ws.once('close', () => resolve());
            c.ws.close(CLOSE.goingAway, 'server shutting down');
            setTimeout(() => {
              c.ws.terminate();
              resolve();
            }, 1000).unref();
          }),
      );
      await Promise.all(closed);
      for (const c of [...clients]) leave(c);
      wss.close();
    },
  };
};

export type RealtimeServer = ReturnType<typeof createRealtimeServer>;
