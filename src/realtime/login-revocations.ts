import type { Bus } from './bus/bus';
import type { OpenSockets } from './open-sockets';
import { CLOSE, parseControlMessage, SESSIONS_ROOM, type SessionRevoked } from './protocol';
import type { SocketSession } from './socket-session';

/** Closes a socket whose login has ended with 4001. */
export const closeForEndedLogin = (session: SocketSession): void =>
  session.close(CLOSE.notAuthenticated, 'this login has ended');

/**
 * A login ended somewhere (logout, or a reused refresh token revoking its family, on any API process): its
 * sockets on this server close with 4001. Returns the function that stops listening.
 */
export const closeEndedLogins = (bus: Bus, sockets: OpenSockets): (() => void) =>
  bus.subscribe(SESSIONS_ROOM, (message) => {
    const revoked = parseControlMessage<SessionRevoked>(message.payload);
    if (revoked?.type !== 'session.revoked') return;
    for (const session of sockets.ofUser(revoked.user_id)) {
      if (session.identity.sessionId === revoked.session_id) closeForEndedLogin(session);
    }
  });
