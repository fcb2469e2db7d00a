import type { WebSocket } from 'ws';

export interface Heartbeat {
  watch(ws: WebSocket): void;
  stop(): void;
}

/** Pings every watched socket each interval; one that did not answer the previous ping is terminated. */
export const startHeartbeat = (intervalMs: number): Heartbeat => {
  const answered = new Map<WebSocket, boolean>();
  const timer = setInterval(() => {
    for (const [ws, alive] of answered) {
      if (!alive) {
        answered.delete(ws);
        ws.terminate(); // its 'close' ends its session
        continue;
      }
      answered.set(ws, false);
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return {
    watch(ws) {
      answered.set(ws, true);
      ws.on('pong', () => {
        if (answered.has(ws)) answered.set(ws, true);
      });
      ws.once('close', () => answered.delete(ws));
    },
    stop: () => clearInterval(timer),
  };
};
