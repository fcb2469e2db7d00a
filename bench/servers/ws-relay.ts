/**
 * The baseline of the command → WebSocket row: Redis PUBLISH → ws send with no database. A socket joins the room
 * its path names (`/rooms/<room>`); a message published on `<prefix><room>` is sent, as published, to every socket
 * of the room. Arguments: the Redis URL and the channel prefix.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { type WebSocket, WebSocketServer } from 'ws';

const [redisUrl = 'redis://127.0.0.1:6379', prefix = 'bench:room:'] = process.argv.slice(2);
const rooms = new Map<string, Set<WebSocket>>();
const subscriber = new Redis(redisUrl);

subscriber.on('message', (channel: string, payload: string) => {
  for (const socket of rooms.get(channel.slice(prefix.length)) ?? []) socket.send(payload);
});

const join = (room: string, socket: WebSocket) => {
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
    void subscriber.subscribe(`${prefix}${room}`);
  }
  members.add(socket);
  socket.on('close', () => members.delete(socket));
};

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 4096 });
wss.on('connection', (socket, request) => {
  socket.on('error', () => undefined);
  const room = /^\/rooms\/([^/?]+)/.exec(request.url ?? '')?.[1];
  if (room === undefined) socket.close(4004);
  else join(room, socket);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
