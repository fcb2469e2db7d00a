/**
 * Idle WebSocket connections per process and bytes each: how much a fresh app process's RSS grows when N sockets
 * (in project rooms of 50, authenticated) are open and idle; the baseline is a fresh bare `net` server holding N
 * plain connections. Each measurement starts its own server process, because a process that has held sockets
 * before reuses the memory they left (a second round in the same process shows almost nothing), and warms it with
 * a few sockets first; the next server boots while the current one is measured. The other ends are held by child processes, so only the server's memory is counted.
 */
import { type SocketHolders, startHolders } from '../clients/holders';
import { startApp } from '../core/app';
import { sleep } from '../core/clock';
import type { Context } from '../core/context';
import { times } from '../core/figures';
import { interleave, medianOf, medianRatio } from '../core/interleave';
import { type NodeProcess, rssOf, startNode } from '../core/processes';
import { appSocketUrls, type Rooms, roomsFor } from '../core/rooms';
import type { Row, RowOutcome } from '../core/row';
import { median } from '../core/stats';
import { socketCapacity } from './sockets';

const TARGET_SOCKETS = 20_000;
const TARGET_BYTES = 12 * 1024;
const WARM_SOCKETS = 50;

interface Sample {
  opened: number;
  /** What the server says it holds (the app's `websocket_open_sockets`), where it says. */
  serverCounted: number | null;
  rssBefore: number;
  rssAfter: number;
  bytesEach: number;
}

/** One side: how to start its server and where its sockets go. */
interface Side {
  start(): Promise<NodeProcess>;
  kind: 'ws' | 'tcp';
  targets(server: NodeProcess, count: number): string[];
  /** Ask the server for a garbage collection before each reading (the baseline only: the app runs as it is). */
  collect: boolean;
  /** How many sockets the server says it holds. */
  counted?(server: NodeProcess): Promise<number>;
}

/** The median of three RSS readings a quarter of a second apart. */
const steadyRss = async (pid: number, collect: boolean): Promise<number> => {
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (collect) process.kill(pid, 'SIGUSR2');
    await sleep(250);
    readings.push(rssOf(pid));
  }
  return median(readings);
};

const openAll = async (holders: SocketHolders, kind: 'ws' | 'tcp', targets: string[]) => {
  const result = await holders.open(kind, targets, 128);
  if (result.failed > 0)
    throw new Error(`${result.failed} of ${targets.length} sockets failed: ${result.errors.join('; ')}`);
  return result.opened;
};

/** A fresh server: warmed with a few sockets, then its RSS read before and after `count` idle sockets. */
const hold = async (side: Side, holders: SocketHolders, count: number, settleMs: number): Promise<Sample> => {
  const server = await side.start();
  try {
    await openAll(holders, side.kind, side.targets(server, Math.min(WARM_SOCKETS, count)));
    await holders.close();
    await sleep(settleMs);
    const rssBefore = await steadyRss(server.pid, side.collect);
    const opened = await openAll(holders, side.kind, side.targets(server, count));
    await sleep(settleMs);
    const rssAfter = await steadyRss(server.pid, side.collect);
    const { dropped } = await holders.collect();
    if (dropped > 0) throw new Error(`the server closed ${dropped} of ${opened} idle sockets`);
    const serverCounted = side.counted ? await side.counted(server) : null;
    return { opened, serverCounted, rssBefore, rssAfter, bytesEach: (rssAfter - rssBefore) / opened };
  } finally {
    await holders.close();
    // Its readings are taken: no need to wait for a graceful shutdown.
    await server.stop(500);
  }
};

/** The app's own count of open project sockets, from `/metrics`. */
const appOpenSockets = async (server: NodeProcess): Promise<number> => {
  const text = await (await fetch(`${server.ready[1]}/metrics`)).text();
  return Number(/websocket_open_sockets\{[^}]*route="projects"[^}]*\}\s+(\d+)/.exec(text)?.[1] ?? Number.NaN);
};

const appSide = (ctx: Context, rooms: Rooms): Side => ({
  start: () => startApp(ctx.database.url, ctx.services.redisUrl, ctx.jwtSecret, `${ctx.logDir}/app-idle.log`),
  kind: 'ws',
  targets: (server, count) => appSocketUrls(server.ready[1]!.replace(/^http/, 'ws'), rooms, count),
  collect: false,
  counted: appOpenSockets,
});

const netSide: Side = {
  start: () =>
    startNode({
      name: 'net server',
      script: 'bench/servers/net-holder.ts',
      nodeArgs: ['--expose-gc'],
      ready: /listening (\d+)/,
    }),
  kind: 'tcp',
  targets: (server, count) => Array.from({ length: count }, () => `tcp://127.0.0.1:${server.ready[1]}`),
  collect: true,
};

/**
 * The side with its next server booting while the current one is measured (a fresh app takes seconds to start).
 * `close` stops the one left over, so no idle spare runs beside the next rows.
 */
const bootingAhead = (side: Side): { side: Side; close(): Promise<void> } => {
  const boot = () => {
    const started = side.start();
    void started.catch(() => undefined);
    return started;
  };
  let next = boot();
  return {
    side: {
      ...side,
      start() {
        const current = next;
        next = boot();
        return current;
      },
    },
    close: async () => (await next.catch(() => undefined))?.stop(500),
  };
};

const verdict = (sockets: number, bytes: number): boolean | null => {
  if (bytes > TARGET_BYTES) return false;
  return sockets >= TARGET_SOCKETS ? true : null;
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const { sizes } = ctx;
  const { sockets, notes } = socketCapacity(sizes.idleSockets);
  await ctx.app();
  const rooms = await roomsFor(ctx, Math.ceil(sockets / sizes.roomSize));
  const holders = startHolders(sockets);
  ctx.onClose(() => holders.stop());
  const settleMs = Math.min(2000, sizes.measureSeconds * 500);
  const app = bootingAhead(appSide(ctx, rooms));
  const net = bootingAhead(netSide);
  const pairs = await interleave<Sample>({
    pairs: sizes.pairs,
    // Each measurement warms its own fresh server (above): a warm-up pair would measure nothing more.
    warmup: async () => undefined,
    baseline: () => hold(net.side, holders, sockets, settleMs),
    system: () => hold(app.side, holders, sockets, settleMs),
    onStep: (step) => ctx.progress.step(`${sockets} sockets: ${step}`),
  }).finally(() => Promise.all([app.close(), net.close()]));
  await holders.stop();
  const bytesEach = medianOf(pairs, 'system', (r) => r.bytesEach);
  const figures = {
    sockets,
    bytesEach,
    kibEach: bytesEach / 1024,
    netBytesEach: medianOf(pairs, 'baseline', (r) => r.bytesEach),
    ratio: medianRatio(pairs, (r) => r.bytesEach),
    appRssWithSocketsMiB: medianOf(pairs, 'system', (r) => r.rssAfter) / 2 ** 20,
  };
  const holds = verdict(sockets, bytesEach);
  const miscounted = pairs.filter((p) => p.system.serverCounted !== p.system.opened);
  return {
    holds,
    summary: `${sockets} sockets at ${(bytesEach / 1024).toFixed(1)} KiB each (${times(figures.ratio)} baseline)`,
    baselineSummary: `${(figures.netBytesEach / 1024).toFixed(1)} KiB each`,
    figures,
    pairs,
    notes: [
      ...notes,
      ...miscounted.map(
        (p) => `the app counted ${p.system.serverCounted} open sockets of ${p.system.opened}`,
      ),
      ...(holds === null
        ? [`${TARGET_SOCKETS} sockets not reached in this run: the count is not judged`]
        : []),
    ],
  };
};

export const idleWsRow: Row = {
  name: 'idle-ws',
  what: 'idle WebSocket connections per process',
  target: `≥ ${TARGET_SOCKETS} at ≤ 12 KiB each`,
  baseline: 'a bare net server holding the same number of connections',
  run,
};
