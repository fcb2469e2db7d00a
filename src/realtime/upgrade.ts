import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { parseRoute, type RouteTarget } from './protocol';

export interface UpgradeHandler {
  /** For the HTTP server's 'upgrade' event. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

const refuse = (socket: Duplex, status: string): void => {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
};

/**
 * Upgrades requests for a WebSocket route (`ws`, no compression, 4 KiB frames) and hands each socket on;
 * anything else gets an HTTP error before the upgrade: 404 for other paths, 503 once not `accepting`.
 */
export const createUpgradeHandler = (deps: {
  accepting(): boolean;
  onSocket(ws: WebSocket, req: IncomingMessage, url: URL, target: RouteTarget): void;
}): UpgradeHandler => {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 4096,
    clientTracking: false,
    // The client's other subprotocol if it offered one, else the bearer one echoed (browsers require an answer).
    handleProtocols: (protocols) => {
      const other = [...protocols].find((p) => !p.startsWith('bearer.'));
      return other ?? [...protocols][0] ?? false;
    },
  });
  return {
    handle(req, socket, head) {
      // This runs outside express: anything thrown here would be an uncaught exception, so parse defensively.
      // Node leaves an upgraded connection without an 'error' listener: a client that resets it while it is being
      // refused (or answered) would otherwise crash the process.
      socket.on('error', () => undefined);
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        return refuse(socket, '400 Bad Request');
      }
      if (!deps.accepting()) return refuse(socket, '503 Service Unavailable');
      const target = parseRoute(url.pathname);
      if (!target) return refuse(socket, '404 Not Found');
      wss.handleUpgrade(req, socket, head, (ws) => {
        // A frame ws refuses (too large, a bad opcode, unmasked) is an 'error' on the socket, which ws then closes
        // (1009, 1002, …): without a listener from the start, one sent before the socket's session listens (a
        // socket being refused with 4001, say) would crash the process.
        ws.on('error', () => undefined);
        deps.onSocket(ws, req, url, target);
      });
    },
    close: () => wss.close(),
  };
};
