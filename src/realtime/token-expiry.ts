import { CLOSE } from './protocol';
import type { SocketSession } from './socket-session';

/** A socket lives no longer than its access token: closes the session with 4001 when the token expires. */
export const closeAtTokenExpiry = (session: SocketSession): void => {
  const timer = setTimeout(
    () => session.close(CLOSE.notAuthenticated, 'the token expired'),
    Math.max(0, session.identity.expiresAt - Date.now()),
  );
  timer.unref();
  session.ws.once('close', () => clearTimeout(timer));
};
