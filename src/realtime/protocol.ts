import { START } from '../eventstore/port';

/** Close codes of API.md's WebSocket protocol. */
export const CLOSE = {
  /** The server is going away (shutdown). */
  goingAway: 1001,
  /**
   * The client broke the protocol's policy. A frame over `maxPayload` is closed by `ws` itself with 1009 (message
   * too big), and malformed frames with 1002 or 1007: see src/realtime/ws-fuzz.test.ts for every code seen.
   */
  policy: 1008,
  /** The socket could not keep up: resume with `since`. */
  tryAgainLater: 1013,
  /** Not authenticated, or the token expired or its login was revoked while connected. */
  notAuthenticated: 4001,
  notMember: 4003,
  noSuchProject: 4004,
  /** The user has as many sockets open as a user may. */
  tooManySockets: 4029,
  /** Setting up the socket failed on the server's side. */
  serverError: 1011,
} as const;

export const RESYNC = JSON.stringify({ type: 'resync' });

/** The user's room on `/ws/notifications/`, named by the part that publishes to it (the jobs' notifications). */
export { notificationRoom as userRoom } from '../jobs/notifications/model';
export const BROADCAST_ROOM = 'broadcast';

/**
 * Where the API tells every WebSocket server that a login ended (logout, or a reused refresh token revoked its
 * family): sockets opened with that login's tokens close with 4001. Not a room clients can join.
 */
export const SESSIONS_ROOM = '__sessions__';

export interface SessionRevoked {
  type: 'session.revoked';
  user_id: string;
  session_id: string;
}

/** The bus message that announces a revoked login (the position only satisfies the bus's framing). */
export const sessionRevokedMessage = (session: { userId: string; familyId: string }) => ({
  room: SESSIONS_ROOM,
  position: START,
  message: {
    type: 'session.revoked',
    position: START,
    user_id: session.userId,
    session_id: session.familyId,
  } satisfies SessionRevoked & { position: string },
});

/** A control room's message, or null when it is not JSON. */
export const parseControlMessage = <T>(payload: string): T | null => {
  try {
    return JSON.parse(payload) as T;
  } catch {
    return null;
  }
};

export type RealtimeRoute = 'projects' | 'notifications';

/** What an upgrade asks for: a route, and on the project route the project. */
export interface RouteTarget {
  route: RealtimeRoute;
  projectId?: string;
}

/** `/ws/projects/{id}/` or `/ws/notifications/`, with or without the trailing slash; null for anything else. */
export const parseRoute = (pathname: string): RouteTarget | null => {
  const project = /^\/ws\/projects\/([^/]+)\/?$/.exec(pathname);
  if (project) {
    try {
      // Ids are UUIDs, which are case-insensitive: an upper-case id joins the same room as a lower-case one.
      return { route: 'projects', projectId: decodeURIComponent(project[1]!).toLowerCase() };
    } catch {
      return null; // not valid percent-encoding
    }
  }
  if (/^\/ws\/notifications\/?$/.test(pathname)) return { route: 'notifications' };
  return null;
};

/** The access token from `?token=`, `Authorization: Bearer`, or the `bearer.<token>` subprotocol. */
export const tokenFrom = (
  url: URL,
  headers: { authorization?: string; 'sec-websocket-protocol'?: string },
): string | null => {
  const query = url.searchParams.get('token');
  if (query) return query;
  const header = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (header) return header[1]!;
  const protocol = (headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith('bearer.'));
  return protocol ? protocol.slice('bearer.'.length) : null;
};
