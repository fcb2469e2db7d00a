/** Close codes of API.md's WebSocket protocol. */
export const CLOSE = {
  /** The server is going away (shutdown). */
  goingAway: 1001,
  /** The client sent something the protocol does not allow (a frame too large). */
  policy: 1008,
  /** The socket could not keep up: resume with `since`. */
  tryAgainLater: 1013,
  notAuthenticated: 4001,
  notMember: 4003,
  noSuchProject: 4004,
} as const;

export const RESYNC = JSON.stringify({ type: 'resync' });

export const userRoom = (userId: string): string => `user:${userId}`;
export const BROADCAST_ROOM = 'broadcast';

export type RealtimeRoute = 'projects' | 'notifications';

/** `/ws/projects/{id}/` or `/ws/notifications/`, with or without the trailing slash; null for anything else. */
export const parseRoute = (pathname: string): { route: RealtimeRoute; projectId?: string } | null => {
  const project = /^\/ws\/projects\/([^/]+)\/?$/.exec(pathname);
  if (project) {
    try {
      return { route: 'projects', projectId: decodeURIComponent(project[1]!) };
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
