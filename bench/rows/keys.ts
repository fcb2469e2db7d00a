/**
 * Issue keys under concurrent creation (issue 16): creating issues all in one project against creating them spread
 * over as many projects as there are connections, same concurrency, interleaved. Issue numbers come from the read
 * model (the rank of each creation in its project, in log order), so creations in one project never write the
 * project's stream and never conflict: the one-project rate should match the spread one. Afterwards the project's
 * numbers must be dense (1…n, none twice).
 */
import type { Context } from '../core/context';
import { createIssueTarget } from '../core/context';
import { failureNotes, perSecond, times } from '../core/figures';
import { interleave, medianOf, medianRatio } from '../core/interleave';
import { type LoadResult, type LoadTarget, runLoad } from '../core/load';
import type { Row, RowOutcome } from '../core/row';

const TARGET_RATIO = 0.9;

/** One create per project, taken in turn by every connection. */
const spreadTarget = (
  url: string,
  auth: Record<string, string>,
  projects: readonly string[],
): LoadTarget => ({
  url: `${url}/api/v1/issues/`,
  requests: projects.map((project) => ({
    method: 'POST',
    path: '/api/v1/issues/',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ project, title: 'Bench issue', priority: 'high' }),
  })),
});

/** The project's issue numbers: how many, the highest, and how many distinct. */
const numbering = async (ctx: Context, project: string) => {
  const { rows } = await ctx.knex.raw<{ rows: { n: string; top: string | null; distinct: string }[] }>(
    'SELECT count(*)::text AS n, max(number)::text AS top, count(DISTINCT number)::text AS distinct FROM issues WHERE project_id = ?',
    [project],
  );
  const row = rows[0]!;
  return { issues: Number(row.n), highest: Number(row.top ?? 0), distinct: Number(row.distinct) };
};

const run = async (ctx: Context): Promise<RowOutcome> => {
  const { sizes } = ctx;
  const [app, fixtures] = await Promise.all([ctx.app(), ctx.fixtures()]);
  const { api, owner, organization } = fixtures;
  ctx.progress.step('making the projects');
  const single = await api.project(owner, organization, 'One project');
  const spread: string[] = [];
  for (let i = 0; i < sizes.connections; i++)
    spread.push(await api.project(owner, organization, `Spread ${i}`));
  const oneProject = createIssueTarget(app.url, owner, single);
  const manyProjects = spreadTarget(app.url, owner.auth, spread);
  const options = (seconds: number) => ({ seconds, connections: sizes.connections });
  const pairs = await interleave<LoadResult>({
    pairs: sizes.pairs,
    warmup: async () => {
      await runLoad(manyProjects, options(sizes.warmupSeconds));
      await runLoad(oneProject, options(sizes.warmupSeconds));
    },
    baseline: () => runLoad(manyProjects, options(sizes.measureSeconds)),
    system: () => runLoad(oneProject, options(sizes.measureSeconds)),
    onStep: (step) => ctx.progress.step(`keys: ${step}`),
  });
  const ratio = medianRatio(pairs, (r) => r.rps);
  const numbers = await numbering(ctx, single);
  const dense = numbers.issues === numbers.highest && numbers.distinct === numbers.issues;
  const conflicts = pairs.reduce((sum, p) => sum + (p.system.statuses['409'] ?? 0), 0);
  const figures = {
    ratio,
    oneProjectRps: medianOf(pairs, 'system', (r) => r.rps),
    spreadRps: medianOf(pairs, 'baseline', (r) => r.rps),
    oneProjectP99Ms: medianOf(pairs, 'system', (r) => r.p99),
    spreadP99Ms: medianOf(pairs, 'baseline', (r) => r.p99),
    conflicts,
    issuesInTheProject: numbers.issues,
    highestNumber: numbers.highest,
    dense,
  };
  return {
    // The numbers must be dense whatever the machine; the rate is judged like every ratio.
    holds: ratio >= TARGET_RATIO && dense && conflicts === 0,
    summary: `${times(ratio)} (${perSecond(figures.oneProjectRps)} in one project); ${numbers.issues} issues numbered 1…${numbers.highest}${dense ? '' : ' NOT dense'}; ${conflicts} conflicts`,
    baselineSummary: `${perSecond(figures.spreadRps)} over ${spread.length} projects`,
    figures,
    pairs,
    notes: [
      ...failureNotes(
        'one project',
        pairs.map((p) => p.system),
      ),
      ...failureNotes(
        'spread',
        pairs.map((p) => p.baseline),
      ),
    ],
  };
};

export const keysRow: Row = {
  name: 'keys',
  what: 'issue keys: creating in one project vs spread over projects',
  target: `≥ ${TARGET_RATIO} × the spread rate, numbers dense, no conflicts`,
  baseline: 'the same creates spread over as many projects as connections, same run',
  run,
};
