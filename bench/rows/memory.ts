/**
 * Memory over a soak: creates at half of the peak for ten minutes (25 s in --quick), each fanned out to 50 sockets
 * of its room, while the app's RSS is read every few seconds. After a warm-up at the same load (a tenth of the
 * soak, not sampled), every reading must stay within ±10 % of their median; the trend (least squares) is reported
 * too, as a leak would show in it. No baseline: the figure is the RSS against itself.
 */
import { startHolders } from '../clients/holders';
import { sleep } from '../core/clock';
import type { Context } from '../core/context';
import { createIssueTarget } from '../core/context';
import { failureNotes } from '../core/figures';
import { runLoad } from '../core/load';
import { rssOf } from '../core/processes';
import { appSocketUrls, roomsFor } from '../core/rooms';
import type { Row, RowOutcome } from '../core/row';
import { median } from '../core/stats';
import { peakCreateRate } from './create';

const TOLERANCE = 0.1;
const READINGS = 60;

export interface Drift {
  /** The median reading. */
  reference: number;
  /** The lowest and highest reading, ÷ reference − 1. */
  low: number;
  high: number;
  /** The least-squares trend over the soak, ÷ reference: what a leak would show. */
  trend: number;
}

/** The least-squares slope of the readings against their index, times the span of indexes. */
const trendOver = (values: readonly number[]): number => {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let covariance = 0;
  let variance = 0;
  values.forEach((y, x) => {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  });
  return (covariance / variance) * (n - 1);
};

/** How far the readings wander from their median, and which way they head. */
export const drift = (readings: readonly number[]): Drift => {
  const reference = median(readings);
  return {
    reference,
    low: Math.min(...readings) / reference - 1,
    high: Math.max(...readings) / reference - 1,
    trend: trendOver(readings) / reference,
  };
};

const sample = async (pid: number, seconds: number): Promise<number[]> => {
  const every = Math.max(1000, (seconds * 1000) / READINGS);
  const readings: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    readings.push(rssOf(pid));
    await sleep(every);
  }
  return readings;
};

const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

/** Warm-up, then the soak with RSS readings, creates fanned out to a room of sockets all along. */
const soak = async (ctx: Context, rate: number) => {
  const [app, { owner }, rooms] = await Promise.all([ctx.app(), ctx.fixtures(), roomsFor(ctx, 1)]);
  const holders = startHolders(ctx.sizes.roomSize);
  ctx.onClose(() => holders.stop());
  const opened = await holders.open('ws', appSocketUrls(app.wsUrl, rooms, ctx.sizes.roomSize));
  if (opened.failed > 0)
    throw new Error(`${opened.failed} sockets failed to open: ${opened.errors.join('; ')}`);
  const seconds = ctx.sizes.soakSeconds;
  const options = { connections: ctx.sizes.connections, rate };
  const target = createIssueTarget(app.url, owner, rooms.projects[0]!);
  ctx.progress.step(`warm-up at ${Math.round(rate)} creates/s`);
  await runLoad(target, { ...options, seconds: Math.max(ctx.sizes.warmupSeconds, seconds / 10) });
  ctx.progress.step(`${seconds} s at ${Math.round(rate)} creates/s`);
  const [load, readings] = await Promise.all([
    runLoad(target, { ...options, seconds }),
    sample(app.pid, seconds),
  ]);
  const { dropped } = await holders.collect();
  await holders.stop();
  return { load, readings, dropped };
};

const mib = (bytes: number) => bytes / 2 ** 20;

const run = async (ctx: Context): Promise<RowOutcome> => {
  const rate = (await peakCreateRate(ctx)) / 2;
  const { load, readings, dropped } = await soak(ctx, rate);
  const d = drift(readings);
  return {
    holds: Math.max(Math.abs(d.low), Math.abs(d.high)) <= TOLERANCE,
    summary: `RSS ${mib(d.reference).toFixed(0)} MiB ${percent(d.low)} … ${percent(d.high)}, trend ${percent(d.trend)}`,
    baselineSummary: '—',
    figures: {
      seconds: ctx.sizes.soakSeconds,
      rate,
      achievedRps: load.rps,
      referenceMiB: mib(d.reference),
      lowChange: d.low,
      highChange: d.high,
      trend: d.trend,
    },
    details: { readingsMiB: readings.map(mib) },
    notes: [
      ...failureNotes('soak creates', [load]),
      ...(dropped > 0 ? [`the app closed ${dropped} of the room's sockets during the soak`] : []),
    ],
  };
};

export const memoryRow: Row = {
  name: 'memory',
  what: 'memory (RSS) over a soak at half of peak load',
  target: 'RSS within ±10 % of its median over the soak (10 minutes; 25 s in --quick) at half of peak load',
  baseline: '— (the RSS after the warm-up)',
  run,
};
