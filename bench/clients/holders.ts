/** The bench's side of the socket-holding children: open sockets, collect message latencies, close them. */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { TSX } from '../core/processes';
import type { ClientReply, CollectReply, OpenReply } from './protocol';

/** Sockets one child holds at most: well under the usual 20 000 open files per process. */
export const SOCKETS_PER_HOLDER = 8000;

export interface SocketHolders {
  /** Opens the targets (`ws://…` URLs, or `tcp://host:port` for plain connections) across the children. */
  open(kind: 'ws' | 'tcp', targets: readonly string[], concurrency?: number): Promise<OpenReply>;
  /** Message latencies since the last collect, from every child. */
  collect(): Promise<CollectReply>;
  /** Closes every socket (the children stay, empty). */
  close(): Promise<void>;
  /** Ends the children. */
  stop(): Promise<void>;
}

interface Child {
  process: ChildProcess;
  ask(message: Record<string, unknown>): Promise<ClientReply>;
}

const startChild = (): Child => {
  const child = fork(path.join(__dirname, 'socket-holder.ts'), [], {
    execArgv: TSX,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve: (reply: ClientReply) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  child.on('message', (reply: ClientReply) => {
    waiting.get(reply.id)?.resolve(reply);
    waiting.delete(reply.id);
  });
  child.on('exit', (code) => {
    for (const { reject } of waiting.values()) reject(new Error(`socket holder exited (${code})`));
    waiting.clear();
  });
  return {
    process: child,
    ask: (message) =>
      new Promise((resolve, reject) => {
        const id = ++nextId;
        waiting.set(id, { resolve, reject });
        child.send({ ...message, id });
      }),
  };
};

/** Splits `items` into `parts` nearly equal slices. */
export const split = <T>(items: readonly T[], parts: number): T[][] =>
  Array.from({ length: parts }, (_, i) => items.filter((_, j) => j % parts === i));

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Enough children for `capacity` sockets. */
export const startHolders = (capacity: number): SocketHolders => {
  const children = Array.from({ length: Math.max(1, Math.ceil(capacity / SOCKETS_PER_HOLDER)) }, startChild);
  return {
    async open(kind, targets, concurrency = 64) {
      const slices = split(targets, children.length);
      const each = Math.max(1, Math.floor(concurrency / children.length));
      const replies = (await Promise.all(
        children.map((c, i) => c.ask({ type: 'open', kind, targets: slices[i], concurrency: each })),
      )) as OpenReply[];
      return {
        id: 0,
        type: 'opened',
        opened: sum(replies.map((r) => r.opened)),
        failed: sum(replies.map((r) => r.failed)),
        errors: replies.flatMap((r) => r.errors).slice(0, 5),
      };
    },
    async collect() {
      const replies = (await Promise.all(children.map((c) => c.ask({ type: 'collect' })))) as CollectReply[];
      return {
        id: 0,
        type: 'collected',
        latencies: replies.flatMap((r) => r.latencies),
        dropped: sum(replies.map((r) => r.dropped)),
      };
    },
    async close() {
      await Promise.all(children.map((c) => c.ask({ type: 'close' })));
    },
    async stop() {
      for (const c of children) c.process.kill();
    },
  };
};
