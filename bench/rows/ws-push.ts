/**
 * Command → WebSocket message with N sockets in rooms of 50: commands (issue creations, 20 a second, each in a
 * random room) go over HTTP; every socket of the room times the message from the command's send (the title carries
 * the send time). Baseline: the same sockets on a Redis PUBLISH → ws send relay with no database, the same
 * messages published straight to Redis. Sockets are held by child processes; clocks agree across processes.
 */
import { Redis } from 'ioredis';
import { type SocketHolders, startHolders } from '../clients/holders';
import { sleep, wallMs } from '../core/clock';
import type { Context } from '../core/context';
import { ms } from '../core/figures';
import { interleave, medianOf, medianRatio } from '../core/interleave';
import { startNode } from '../core/processes';
import { appSocketUrls, type Rooms, roomsFor } from '../core/rooms';
import type { Row, RowOutcome } from '../core/row';
import { type Latencies, latencies } from '../core/stats';
import { socketCapacity } from './sockets';

const TARGET_P50_MS = 10;
const TARGET_P99_MS = 50;
const COMMAND_GAP_MS = 50;
/** Time left for the last messages to arrive after the last command. */
const GRACE_MS = 500;
/** About the size of an `issue.created` message. */
const PADDING = 'x'.repeat(800);

interface Side {
  holders: SocketHolders;
  /** Sends one message to a room; resolves when the sender is done with it. */
  send(room: number): Promise<unknown>;
}

interface Sample extends Latencies {
  commands: number;
  /** Sockets the server closed meanwhile. */
  dropped: number;
  /** Messages received ÷ messages expected. */
  delivered: number;
}

const openAll = async (ctx: Context, holders: SocketHolders, urls: string[], what: string) => {
  ctx.progress.step(`opening ${urls.length} sockets on ${what}`);
  const opened = await holders.open('ws', urls);
  if (opened.failed > 0)
    throw new Error(`${what}: ${opened.failed} sockets failed to open: ${opened.errors.join('; ')}`);
};

const appSide = async (ctx: Context, rooms: Rooms, sockets: number): Promise<Side> => {
  const [app, { api, owner }] = await Promise.all([ctx.app(), ctx.fixtures()]);
  const holders = startHolders(sockets);
  ctx.onClose(() => holders.stop());
  await openAll(ctx, holders, appSocketUrls(app.wsUrl, rooms, sockets), 'the app');
  return { holders, send: (room) => api.issue(owner, rooms.projects[room]!, `ws ${wallMs()}`) };
};

const relaySide = async (ctx: Context, rooms: number, sockets: number): Promise<Side> => {
  const prefix = `${ctx.runName}:room:`;
  const relay = await startNode({
    name: 'ws relay',
    script: 'bench/servers/ws-relay.ts',
    args: [ctx.services.redisUrl, prefix],
    ready: /listening (\d+)/,
  });
  ctx.onClose(() => relay.stop());
  const redis = new Redis(ctx.services.redisUrl);
  ctx.onClose(async () => redis.disconnect());
  const holders = startHolders(sockets);
  ctx.onClose(() => holders.stop());
  const perRoom = Math.ceil(sockets / rooms);
  const urls = Array.from(
    { length: sockets },
    (_, i) => `ws://127.0.0.1:${relay.ready[1]}/rooms/${Math.floor(i / perRoom)}`,
  );
  await openAll(ctx, holders, urls, 'the relay');
  const send = (room: number) =>
    redis.publish(
      `${prefix}${room}`,
      JSON.stringify({ type: 'issue.created', sent: `ws ${wallMs()}`, pad: PADDING }),
    );
  return { holders, send };
};

/** Sends to random rooms every COMMAND_GAP_MS for `seconds`, then collects what the sockets timed. */
const measure = async (side: Side, seconds: number, rooms: number, roomSize: number): Promise<Sample> => {
  await side.holders.collect();
  const sent: Promise<unknown>[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    sent.push(side.send(Math.floor(Math.random() * rooms)).catch(() => undefined));
    await sleep(COMMAND_GAP_MS);
  }
  await Promise.all(sent);
  await sleep(GRACE_MS);
  const { latencies: values, dropped } = await side.holders.collect();
  return {
    ...latencies(values),
    commands: sent.length,
    dropped,
    delivered: values.length / (sent.length * roomSize),
  };
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const { sizes } = ctx;
  const { sockets, notes } = socketCapacity(sizes.pushSockets);
  const roomCount = Math.ceil(sockets / sizes.roomSize);
  const rooms = await roomsFor(ctx, roomCount);
  const app = await appSide(ctx, rooms, sockets);
  const relay = await relaySide(ctx, roomCount, sockets);
  const pairs = await interleave<Sample>({
    pairs: sizes.pairs,
    warmup: async () => {
      await measure(relay, sizes.warmupSeconds, roomCount, sizes.roomSize);
      await measure(app, sizes.warmupSeconds, roomCount, sizes.roomSize);
    },
    baseline: () => measure(relay, sizes.measureSeconds, roomCount, sizes.roomSize),
    system: () => measure(app, sizes.measureSeconds, roomCount, sizes.roomSize),
    onStep: (step) => ctx.progress.step(`${sockets} sockets: ${step}`),
  });
  await Promise.all([app.holders.stop(), relay.holders.stop()]);
  const p50 = medianOf(pairs, 'system', (r) => r.p50);
  const p99 = medianOf(pairs, 'system', (r) => r.p99);
  const figures = {
    sockets,
    rooms: roomCount,
    p50Ms: p50,
    p99Ms: p99,
    relayP50Ms: medianOf(pairs, 'baseline', (r) => r.p50),
    relayP99Ms: medianOf(pairs, 'baseline', (r) => r.p99),
    p50Ratio: medianRatio(pairs, (r) => r.p50),
    p99Ratio: medianRatio(pairs, (r) => r.p99),
    delivered: medianOf(pairs, 'system', (r) => r.delivered),
    relayDelivered: medianOf(pairs, 'baseline', (r) => r.delivered),
  };
  const dropped = pairs.reduce((sum, p) => sum + p.system.dropped + p.baseline.dropped, 0);
  const undelivered =
    figures.delivered < 1 ? [`the app delivered ${(figures.delivered * 100).toFixed(1)} % of messages`] : [];
  return {
    holds: p50 <= TARGET_P50_MS && p99 <= TARGET_P99_MS,
    summary: `${sockets} sockets: p50 ${ms(p50)}, p99 ${ms(p99)}`,
    baselineSummary: `p50 ${ms(figures.relayP50Ms)}, p99 ${ms(figures.relayP99Ms)}`,
    figures,
    pairs,
    notes: [...notes, ...undelivered, ...(dropped > 0 ? [`${dropped} sockets were closed by a server`] : [])],
  };
};

export const wsPushRow: Row = {
  name: 'ws-push',
  what: 'command → WebSocket message, N sockets in rooms of 50',
  target: `p50 ≤ ${TARGET_P50_MS} ms, p99 ≤ ${TARGET_P99_MS} ms at 10 000 sockets`,
  baseline: 'Redis PUBLISH → ws send relay with no database, same sockets and rooms',
  run,
};
