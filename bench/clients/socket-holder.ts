/**
 * A child process that opens and holds sockets for the bench (WebSockets, or plain TCP connections), so the
 * bench process's own file limit bounds none of the rows, and records how long each message carrying a send
 * time took to arrive. Driven over IPC (./protocol.ts).
 */
import net from 'node:net';
import WebSocket from 'ws';
import { wallMs } from '../core/clock';
import { type ClientReply, type ClientRequest, sentTimeOf } from './protocol';

const sockets = new Set<WebSocket | net.Socket>();
/**
 * Source addresses for connections to 127.0.0.1, taken in turn: each has its own ephemeral ports, so tens of
 * thousands of sockets (and those still in TIME_WAIT from the previous round) do not run out of them.
 */
const LOOPBACK_SOURCES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
let connections = 0;

let latencies: number[] = [];
let dropped = 0;
/** Sockets this process closed: their closing is no drop. */
const closedHere = new WeakSet<WebSocket | net.Socket>();

const sourceFor = (host: string): string | undefined =>
  host === '127.0.0.1' ? LOOPBACK_SOURCES[connections++ % LOOPBACK_SOURCES.length] : undefined;

const reply = (message: ClientReply) => process.send?.(message);

const onMessage = (data: WebSocket.RawData) => {
  const sent = sentTimeOf(data.toString());
  if (sent !== null) latencies.push(wallMs() - sent);
};

const keep = (socket: WebSocket | net.Socket) => {
  sockets.add(socket);
  socket.on('close', () => {
    sockets.delete(socket);
    if (!closedHere.has(socket)) dropped += 1;
  });
};

const openWs = (url: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      localAddress: sourceFor(new URL(url).hostname),
    });
    socket.on('error', () => undefined);
    socket.once('open', () => {
      keep(socket);
      socket.on('message', onMessage);
      resolve();
    });
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('close', (code) => reject(new Error(`closed ${code}`)));
    socket.once('error', reject);
  });

const openTcp = (target: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(target);
    const socket = net.connect(
      { host: hostname, port: Number(port), localAddress: sourceFor(hostname) },
      () => {
        keep(socket);
        resolve();
      },
    );
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });

/** Opens every target, `concurrency` at a time. */
const openAll = async (request: Extract<ClientRequest, { type: 'open' }>) => {
  const open = request.kind === 'ws' ? openWs : openTcp;
  const errors: string[] = [];
  let next = 0;
  let opened = 0;
  const worker = async () => {
    while (next < request.targets.length) {
      const target = request.targets[next++]!;
      await open(target).then(
        () => {
          opened += 1;
        },
        (error: Error) => {
          if (errors.length < 5) errors.push(error.message);
        },
      );
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, worker));
  reply({ id: request.id, type: 'opened', opened, failed: request.targets.length - opened, errors });
};

const closeAll = async (id: number) => {
  for (const socket of sockets) {
    closedHere.add(socket);
    if (socket instanceof WebSocket) socket.terminate();
    else socket.destroy();
  }
  sockets.clear();
  reply({ id, type: 'closed' });
};

process.on('message', (request: ClientRequest) => {
  if (request.type === 'open') void openAll(request);
  else if (request.type === 'close') void closeAll(request.id);
  else {
    reply({ id: request.id, type: 'collected', latencies, dropped });
    latencies = [];
    dropped = 0;
  }
});
process.on('disconnect', () => process.exit(0));
