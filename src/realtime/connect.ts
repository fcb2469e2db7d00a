import type { IncomingMessage } from 'node:http';
import type { Knex } from 'knex';
import type { WebSocket } from 'ws';
import { isPosition } from '../eventstore/port';
import { isNotificationPosition } from '../jobs/notifications/model';
import { latestNotificationPosition } from '../jobs/notifications/queries';
import { projectRoom } from '../projections/activity/messages';
import { latestFeedPosition } from '../projections/activity/queries';
import { projectAccess } from '../projections/projects/queries';
import { closeSocket } from './close-socket';
import type { Heartbeat } from './heartbeat';
import { notificationInbox, projectFeed } from './histories';
import { closeForEndedLogin } from './login-revocations';
import type { MembershipWatch } from './membership-watch';
import type { OpenSockets } from './open-sockets';
import type { RealtimeOptions } from './options';
import { BROADCAST_ROOM, CLOSE, type RouteTarget, tokenFrom, userRoom } from './protocol';
import type { SocketSession } from './socket-session';
import { closeAtTokenExpiry } from './token-expiry';

export interface ConnectDeps extends Pick<RealtimeOptions, 'verifyToken' | 'isSessionActive'> {
  db: Knex;
  sockets: OpenSockets;
  memberships: MembershipWatch;
  heartbeat: Heartbeat;
  closeTimeoutMs: number;
}

/**
 * A new socket, through its session's authenticating state: the token, the per-user cap, the rooms, the login,
 * then (project route) the project access and the feed. Ends live or replaying, or closed with the code that
 * says why not.
 */
export const connectSocket = async (
  ws: WebSocket,
  req: IncomingMessage,
  url: URL,
  target: RouteTarget,
  deps: ConnectDeps,
): Promise<void> => {
  const token = tokenFrom(url, req.headers as { authorization?: string; 'sec-websocket-protocol'?: string });
  const identity = token ? deps.verifyToken(token) : null;
  if (!identity) return closeSocket(ws, CLOSE.notAuthenticated, 'not authenticated', deps.closeTimeoutMs);
  const session = deps.sockets.open(ws, target.route, identity);
  if (!session) return;
  closeAtTokenExpiry(session);
  deps.heartbeat.watch(ws);
  if (target.route === 'notifications') {
    // Joined before the login is checked, holding what arrives meanwhile: nothing sent after the handshake is lost.
    await session.join(userRoom(identity.userId));
    await session.join(BROADCAST_ROOM);
  }
  const { sessionId } = identity;
  if (sessionId !== null && deps.isSessionActive && !(await deps.isSessionActive(sessionId)))
    return closeForEndedLogin(session);
  const since = url.searchParams.get('since');
  if (target.route === 'notifications') return connectNotifications(session, since, deps);
  return connectProject(session, target.projectId!, since, deps);
};

/**
 * The user's room resumes from the notifications table: `since` is the position of the last notification the
 * client saw; without it the socket starts after the latest one. Broadcasts are live only.
 */
const connectNotifications = async (
  session: SocketSession,
  since: string | null,
  deps: ConnectDeps,
): Promise<void> => {
  if (session.closing) return;
  session.keepHistory(notificationInbox(deps.db, session.userId));
  if (since !== null && isNotificationPosition(since)) return session.resume(since);
  if (since !== null) session.resync();
  return session.start(await latestNotificationPosition(deps.db, session.userId));
};

/** Members of the project's organization only; `since` replays the feed, otherwise it starts after its end. */
const connectProject = async (
  session: SocketSession,
  projectId: string,
  since: string | null,
  deps: ConnectDeps,
): Promise<void> => {
  if (session.closing) return;
  await deps.memberships.ready();
  const access = await projectAccess(deps.db, projectId, session.userId);
  if (session.closing) return;
  if (!access) return session.close(CLOSE.noSuchProject, 'no such project');
  if (!access.role) return session.close(CLOSE.notMember, 'not a member');
  session.enterProject(projectId, access.organizationId);
  session.keepHistory(projectFeed(deps.db, projectId));
  await deps.memberships.confirm(session);
  await session.join(projectRoom(projectId));
  if (session.closing) return;
  if (since !== null && isPosition(since)) return session.resume(since);
  if (since !== null) session.resync();
  return session.start(await latestFeedPosition(deps.db, projectId));
};
