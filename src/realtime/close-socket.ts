import type { WebSocket } from 'ws';

/** Closes with a code; a client that never answers the close handshake is cut `cutAfterMs` later. */
export const closeSocket = (ws: WebSocket, code: number, reason: string, cutAfterMs: number): void => {
  ws.close(code, reason);
  const cut = setTimeout(() => ws.terminate(), cutAfterMs);
  cut.unref();
  ws.once('close', () => clearTimeout(cut));
};
