/**
 * Cost as history grows, two comparisons in one row, each interleaved in the same run:
 * - creating an issue in an organization whose stream holds 2 000 membership events vs in a fresh one (req/s);
 * - the same list request over the big issue set vs over a small one (req/s).
 */
import type { Context } from '../core/context';
import { createIssueTarget } from '../core/context';
import { failureNotes, perSecond, times } from '../core/figures';
import { interleave, medianOf, medianRatio, type Pair } from '../core/interleave';
import { type LoadResult, type LoadTarget, runLoad } from '../core/load';
import type { Row, RowOutcome } from '../core/row';
import { agedOrganization } from '../data/aged-organization';
import { bigIssueSet, seedIssues } from '../data/issues';
import { growthQuery, listPath } from '../data/list-queries';

const TARGET_RATIO = 0.9;

/** `fresh` as the baseline, `grown` as the system, same concurrency. */
const compare = (
  ctx: Context,
  label: string,
  fresh: LoadTarget,
  grown: LoadTarget,
): Promise<Pair<LoadResult>[]> => {
  const { sizes } = ctx;
  const options = (seconds: number) => ({ seconds, connections: sizes.connections });
  return interleave<LoadResult>({
    pairs: sizes.pairs,
    warmup: async () => {
      await runLoad(fresh, options(sizes.warmupSeconds));
      await runLoad(grown, options(sizes.warmupSeconds));
    },
    baseline: () => runLoad(fresh, options(sizes.measureSeconds)),
    system: () => runLoad(grown, options(sizes.measureSeconds)),
    onStep: (step) => ctx.progress.step(`${label}: ${step}`),
  });
};

const createPairs = async (ctx: Context) => {
  const { api, owner } = await ctx.fixtures();
  const app = await ctx.app();
  const aged = await agedOrganization(ctx);
  const freshOrganization = await api.organization(owner, 'Fresh');
  const freshProject = await api.project(owner, freshOrganization, 'Fresh');
  const fresh = createIssueTarget(app.url, owner, freshProject);
  const grown = createIssueTarget(app.url, owner, aged.project);
  return {
    aged,
    pairs: await compare(ctx, `create, ${aged.membershipEvents} membership events`, fresh, grown),
  };
};

const listPairs = async (ctx: Context) => {
  const big = await bigIssueSet(ctx);
  const small = await ctx.once('smallIssues', () => seedIssues(ctx, 'Small', ctx.sizes.smallIssues));
  const [app, { owner }] = await Promise.all([ctx.app(), ctx.fixtures()]);
  const target = (path: string): LoadTarget => ({ url: `${app.url}${path}`, headers: owner.auth });
  const fresh = target(listPath(growthQuery(small)));
  const grown = target(listPath(growthQuery(big)));
  return {
    big,
    small,
    pairs: await compare(ctx, `list, ${big.issues} vs ${small.issues} issues`, fresh, grown),
  };
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const create = await createPairs(ctx);
  const list = await listPairs(ctx);
  const createRatio = medianRatio(create.pairs, (r) => r.rps);
  const listRatio = medianRatio(list.pairs, (r) => r.rps);
  const figures = {
    membershipEvents: create.aged.membershipEvents,
    createRatio,
    createAgedRps: medianOf(create.pairs, 'system', (r) => r.rps),
    createFreshRps: medianOf(create.pairs, 'baseline', (r) => r.rps),
    createP50Ratio: medianRatio(create.pairs, (r) => r.p50),
    bigIssues: list.big.issues,
    smallIssues: list.small.issues,
    listRatio,
    listBigRps: medianOf(list.pairs, 'system', (r) => r.rps),
    listSmallRps: medianOf(list.pairs, 'baseline', (r) => r.rps),
    listP50Ratio: medianRatio(list.pairs, (r) => r.p50),
  };
  return {
    holds: createRatio >= TARGET_RATIO && listRatio >= TARGET_RATIO,
    summary:
      `create ${times(createRatio)} (${perSecond(figures.createAgedRps)} with ${figures.membershipEvents} ` +
      `membership events); list ${times(listRatio)} (${perSecond(figures.listBigRps)} over ${list.big.issues})`,
    baselineSummary: `create ${perSecond(figures.createFreshRps)} fresh; list ${perSecond(figures.listSmallRps)} over ${list.small.issues}`,
    figures,
    pairs: [
      ...create.pairs.map((p) => ({ what: 'create', ...p })),
      ...list.pairs.map((p) => ({ what: 'list', ...p })),
    ],
    notes: [
      ...failureNotes(
        'create',
        create.pairs.flatMap((p) => [p.baseline, p.system]),
      ),
      ...failureNotes(
        'list',
        list.pairs.flatMap((p) => [p.baseline, p.system]),
      ),
    ],
  };
};

export const growthRow: Row = {
  name: 'growth',
  what: 'cost as history grows',
  target: `create with 2 000 membership events, and a list over 1 M issues, ≥ ${TARGET_RATIO} × the same on fresh data`,
  baseline: 'the same request on fresh data (a fresh organization; a small issue set), same run',
  run,
};
