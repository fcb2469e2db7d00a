import { closeSocket } from './close-socket';
import { connectSocket } from './connect';
import { startHeartbeat } from './heartbeat';
import { closeEndedLogins } from './login-revocations';
import { watchMemberships } from './membership-watch';
import { createOpenSockets } from './open-sockets';
import { limitsOf, type RealtimeOptions } from './options';
import { CLOSE } from './protocol';
import { createRooms } from './rooms';
import { createUpgradeHandler } from './upgrade';

export type { RealtimeMetrics, RealtimeOptions, SocketIdentity } from './options';

/**
 * WebSocket rooms on the API's HTTP server: puts together the rooms (fed by the bus), the open sockets and
 * their sessions, and what closes them (token expiry, ended logins, ended memberships, heartbeats, shutdown).
 */
export const createRealtimeServer = (options: RealtimeOptions) => {
  const { bus, db, logger } = options;
  const limits = limitsOf(options);
  const rooms = createRooms(bus);
  const sockets = createOpenSockets({ db, rooms, metrics: options.metrics, ...limits });
  const heartbeat = startHeartbeat(limits.heartbeatMs);
  const memberships = watchMemberships({ bus, db, sockets, logger });
  const stopClosingEndedLogins = closeEndedLogins(bus, sockets);
  // The bus came back: what was published meanwhile was lost to this process. Fill it from the feeds, and read
  // the memberships once, since removals announced meanwhile were lost too.
  const stopFillingGaps = bus.onGap(() => {
    for (const session of sockets.all())
      session.fillGap().catch((error: unknown) => logger?.warn({ err: error }, 'gap replay failed'));
    memberships.audit();
  });
  const { verifyToken, isSessionActive } = options;
  const connect = { verifyToken, isSessionActive, db, sockets, memberships, heartbeat, ...limits };
  let accepting = true;
  const upgrades = createUpgradeHandler({
    accepting: () => accepting,
    onSocket: (ws, req, url, target) => {
      connectSocket(ws, req, url, target, connect).catch((error: unknown) => {
        logger?.error({ err: error }, 'websocket connection failed');
        closeSocket(ws, CLOSE.serverError, 'server error', limits.closeTimeoutMs);
      });
    },
  });
  options.server.on('upgrade', upgrades.handle);

  return {
    /** Open sockets per route, and rooms in use. */
    stats: () => ({ ...sockets.stats(), rooms: rooms.size }),
    /** Stops accepting, closes every socket with 1001. */
    async close(): Promise<void> {
      accepting = false;
      stopClosingEndedLogins();
      stopFillingGaps();
      memberships.stop();
      heartbeat.stop();
      options.server.off('upgrade', upgrades.handle);
      await sockets.closeAll();
      upgrades.close();
    },
  };
};

export type RealtimeServer = ReturnType<typeof createRealtimeServer>;
