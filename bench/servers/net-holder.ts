/**
 * The baseline of the idle-socket row: a bare `net` server that accepts connections and holds them. Its few
 * megabytes of RSS move with garbage collection as much as with its sockets, so the bench asks for a collection
 * (SIGUSR2, with `--expose-gc`) before it reads the RSS.
 */
import net, { type AddressInfo } from 'node:net';

const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => sockets.delete(socket));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGUSR2', () => (globalThis as { gc?: () => void }).gc?.());
process.on('SIGTERM', () => process.exit(0));
