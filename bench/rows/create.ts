/**
 * Create issue over HTTP (auth, validation, append with expected revision, read-your-writes wait) against an
 * express hello world, both at the same concurrency with no pipelining; then both capped at half the create peak,
 * where the create's p99 counts.
 */
import type { Context } from '../core/context';
import { failureNotes, ms, perSecond, times } from '../core/figures';
import { medianOf, medianRatio, interleave } from '../core/interleave';
import { type CpuPerRequest, cpuPerRequest } from '../core/cpu';
import { type LoadOptions, type LoadResult, runLoad } from '../core/load';
import type { Row, RowOutcome } from '../core/row';

const TARGET_RATIO = 0.25;
const TARGET_P99_MS = 25;

/** A step's load, and the CPU each of its requests cost the server, PostgreSQL and the load generator. */
type Step = LoadResult & { cpu: CpuPerRequest };

/** Hello world and create, interleaved, at full speed or at `rate`. */
const pairsAt = async (ctx: Context, label: string, rate?: number) => {
  const { sizes } = ctx;
  const [hello, helloPid, app, fixtures] = await Promise.all([
    ctx.hello(),
    ctx.helloPid(),
    ctx.app(),
    ctx.fixtures(),
  ]);
  const options = (seconds: number): LoadOptions => ({ seconds, connections: sizes.connections, rate });
  const measured = async (pid: number, load: () => Promise<LoadResult>): Promise<Step> => {
    const { result, cpu } = await cpuPerRequest(pid, load, (r) => r.ok);
    return { ...result, cpu };
  };
  return interleave<Step>({
    pairs: sizes.pairs,
    warmup: async () => {
      await runLoad({ url: hello }, options(sizes.warmupSeconds));
      await runLoad(fixtures.createIssue, options(sizes.warmupSeconds));
    },
    baseline: () => measured(helloPid, () => runLoad({ url: hello }, options(sizes.measureSeconds))),
    system: () => measured(app.pid, () => runLoad(fixtures.createIssue, options(sizes.measureSeconds))),
    onStep: (step) => ctx.progress.step(`${label}: ${step}`),
  });
};

/** The median over the pairs of one side's CPU per request, null where it was not measured. */
const cpuMedian = (
  pairs: Array<{ baseline: Step; system: Step }>,
  side: 'baseline' | 'system',
  of: keyof CpuPerRequest,
) => (pairs.every((p) => p[side].cpu[of] !== null) ? medianOf(pairs, side, (r) => r.cpu[of] ?? 0) : null);

/** The create peak in req/s: measured by this row, or by a short run when another row needs it alone. */
export const peakCreateRate = (ctx: Context): Promise<number> =>
  ctx.once('peakCreateRate', async () => {
    const fixtures = await ctx.fixtures();
    ctx.progress.step('measuring the create peak');
    const options = { seconds: ctx.sizes.measureSeconds, connections: ctx.sizes.connections };
    await runLoad(fixtures.createIssue, { ...options, seconds: ctx.sizes.warmupSeconds });
    return (await runLoad(fixtures.createIssue, options)).rps;
  });

const cpuNote = (f: Record<string, number | null>): string[] => {
  const { createCpuMsApp: app, createCpuMsPostgres: pg, createCpuMsGenerator: gen } = f;
  if (app == null || pg == null || gen == null) return ['CPU per request: not measured (no /proc)'];
  return [
    `CPU per create: app ${ms(app)}, PostgreSQL ${ms(pg)}, load generator ${ms(gen)}; ` +
      `per hello world: server ${ms(f.helloCpuMsServer ?? 0)}, load generator ${ms(f.helloCpuMsGenerator ?? 0)}`,
  ];
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const peak = await pairsAt(ctx, 'peak');
  const peakRps = medianOf(peak, 'system', (r) => r.rps);
  void ctx.once('peakCreateRate', async () => peakRps);
  const half = await pairsAt(ctx, `at ${Math.round(peakRps / 2)} req/s`, peakRps / 2);
  const ratio = medianRatio(peak, (r) => r.rps);
  const p99 = medianOf(half, 'system', (r) => r.p99);
  const figures = {
    ratio,
    createRps: peakRps,
    helloRps: medianOf(peak, 'baseline', (r) => r.rps),
    createP50Ms: medianOf(peak, 'system', (r) => r.p50),
    createP99Ms: medianOf(peak, 'system', (r) => r.p99),
    halfLoadRate: peakRps / 2,
    halfLoadP50Ms: medianOf(half, 'system', (r) => r.p50),
    halfLoadP99Ms: p99,
    helloHalfLoadP99Ms: medianOf(half, 'baseline', (r) => r.p99),
    halfLoadP99Ratio: medianRatio(half, (r) => r.p99),
    // CPU per request at full speed (ms): what bounds the rate on an idle machine is cores ÷ their sum.
    createCpuMsApp: cpuMedian(peak, 'system', 'server'),
    createCpuMsPostgres: cpuMedian(peak, 'system', 'postgres'),
    createCpuMsGenerator: cpuMedian(peak, 'system', 'generator'),
    helloCpuMsServer: cpuMedian(peak, 'baseline', 'server'),
    helloCpuMsGenerator: cpuMedian(peak, 'baseline', 'generator'),
  };
  return {
    holds: ratio >= TARGET_RATIO && p99 <= TARGET_P99_MS,
    summary: `${times(ratio)} (${perSecond(peakRps)}); p99 ${ms(p99)} at half load`,
    baselineSummary: `${perSecond(figures.helloRps)}; p99 ${ms(figures.helloHalfLoadP99Ms)} at that rate`,
    figures,
    pairs: [...peak.map((p) => ({ load: 'peak', ...p })), ...half.map((p) => ({ load: 'half', ...p }))],
    notes: [
      ...cpuNote(figures),
      ...failureNotes(
        'create',
        [...peak, ...half].map((p) => p.system),
      ),
      ...failureNotes(
        'hello world',
        [...peak, ...half].map((p) => p.baseline),
      ),
    ],
  };
};

export const createRow: Row = {
  name: 'create',
  what: 'create issue over HTTP',
  target: `≥ ${TARGET_RATIO} × baseline req/s; p99 ≤ ${TARGET_P99_MS} ms at half of peak load`,
  baseline: 'express 5 hello world, same port setup and concurrency, no pipelining',
  run,
};
