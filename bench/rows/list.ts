/**
 * List issues at a million issues (fewer in --quick): a mix of filters and orderings (./data/list-queries.ts) by
 * the organization's owner, 50 per page, against the hello world at the same concurrency; p99 counts. Every query
 * of the mix is EXPLAINed as the app builds it: the plan must be an index scan with no sort.
 */
import type { Knex } from 'knex';
import { issueListQuery } from '../../src/projections/issues/list';
import { explain } from '../../src/projections/shared/explain';
import type { Context } from '../core/context';
import { failureNotes, ms, perSecond, times } from '../core/figures';
import { interleave, medianOf, medianRatio } from '../core/interleave';
import { type LoadResult, type LoadTarget, runLoad } from '../core/load';
import type { Row, RowOutcome } from '../core/row';
import { bigIssueSet } from '../data/issues';
import { type ListQuery, listMix, listPath } from '../data/list-queries';

const TARGET_RATIO = 3;

export interface PlanCheck {
  name: string;
  ok: boolean;
  /** The plan's first lines when it is not an index scan without a sort. */
  plan?: string;
}

/** An index scan with no Sort node (a Merge Append's "Sort Key" line is no sort). */
export const isIndexPlanWithoutSort = (plan: string): boolean =>
  /Index (Only )?Scan/.test(plan) && !/Sort\s{2}/.test(plan);

export const checkPlan = async (knex: Knex, viewerId: string, query: ListQuery): Promise<PlanCheck> => {
  const built = await issueListQuery(knex, viewerId, query.request);
  if (built === null) return { name: query.name, ok: false, plan: 'nothing in scope for the viewer' };
  const plan = await explain(knex, built.query);
  return isIndexPlanWithoutSort(plan)
    ? { name: query.name, ok: true }
    : { name: query.name, ok: false, plan: plan.split('\n').slice(0, 8).join('\n') };
};

const mixTarget = (base: string, auth: Record<string, string>, mix: ListQuery[]): LoadTarget => ({
  url: `${base}/`,
  requests: mix.map((q) => ({ method: 'GET', path: listPath(q.request), headers: auth })),
});

/**
 * Each query of the mix alone, briefly, after the measured pairs: which one costs what (not judged, for whoever
 * optimises next).
 */
const eachQuery = async (ctx: Context, base: string, auth: Record<string, string>, mix: ListQuery[]) => {
  const seconds = ctx.sizes.measureSeconds / 2;
  const each: { name: string; rps: number; p50Ms: number; p99Ms: number }[] = [];
  for (const query of mix) {
    ctx.progress.step(`alone: ${query.name}`);
    const result = await runLoad(mixTarget(base, auth, [query]), {
      seconds,
      connections: ctx.sizes.connections,
    });
    each.push({ name: query.name, rps: result.rps, p50Ms: result.p50, p99Ms: result.p99 });
  }
  return each;
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const set = await bigIssueSet(ctx);
  const [app, fixtures, hello] = await Promise.all([ctx.app(), ctx.fixtures(), ctx.hello()]);
  const mix = listMix(set);
  ctx.progress.step('checking the plans');
  const plans = await Promise.all(mix.map((q) => checkPlan(ctx.knex, fixtures.owner.id, q)));
  const target = mixTarget(app.url, fixtures.owner.auth, mix);
  const { sizes } = ctx;
  const options = (seconds: number) => ({ seconds, connections: sizes.connections });
  const pairs = await interleave<LoadResult>({
    pairs: sizes.pairs,
    warmup: async () => {
      await runLoad({ url: hello }, options(sizes.warmupSeconds));
      await runLoad(target, options(sizes.warmupSeconds));
    },
    baseline: () => runLoad({ url: hello }, options(sizes.measureSeconds)),
    system: () => runLoad(target, options(sizes.measureSeconds)),
    onStep: (step) => ctx.progress.step(`${set.issues} issues: ${step}`),
  });
  // Not in --quick: it would not fit in its three minutes.
  const alone = sizes.mode === 'quick' ? [] : await eachQuery(ctx, app.url, fixtures.owner.auth, mix);
  const ratio = medianRatio(pairs, (r) => r.p99);
  const badPlans = plans.filter((p) => !p.ok);
  const figures = {
    issues: set.issues,
    p99Ratio: ratio,
    listP50Ms: medianOf(pairs, 'system', (r) => r.p50),
    listP99Ms: medianOf(pairs, 'system', (r) => r.p99),
    listRps: medianOf(pairs, 'system', (r) => r.rps),
    helloP50Ms: medianOf(pairs, 'baseline', (r) => r.p50),
    helloP99Ms: medianOf(pairs, 'baseline', (r) => r.p99),
    helloRps: medianOf(pairs, 'baseline', (r) => r.rps),
    plansChecked: plans.length,
    plansWithoutIndexScanOrWithSort: badPlans.length,
  };
  return {
    holds: ratio <= TARGET_RATIO && badPlans.length === 0,
    summary:
      `${set.issues} issues: p99 ${ms(figures.listP99Ms)} = ${times(ratio)} baseline p99 ` +
      `(${perSecond(figures.listRps)}); plans ${plans.length - badPlans.length}/${plans.length} index scans, no sort`,
    baselineSummary: `p99 ${ms(figures.helloP99Ms)} (${perSecond(figures.helloRps)})`,
    figures,
    pairs,
    details: { queries: mix.map((q) => ({ name: q.name, path: listPath(q.request) })), plans, alone },
    notes: [
      ...badPlans.map((p) => `plan of "${p.name}" is not an index scan without a sort: ${p.plan}`),
      ...failureNotes(
        'list',
        pairs.map((p) => p.system),
      ),
    ],
  };
};

export const listRow: Row = {
  name: 'list',
  what: 'list issues, 1 million issues, filters + ordering, 50 per page',
  target: `p99 ≤ ${TARGET_RATIO} × baseline p99; every plan an index scan with no sort`,
  baseline: 'express 5 hello world at the same concurrency',
  run,
};
