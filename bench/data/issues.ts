/**
 * Issues written straight into the read model (the list rows measure reads, not how rows came), in an
 * organization and projects made through the API, with skewed distributions: most issues in a few projects, most
 * `done`, most `medium`, one term ("login") in nine titles of ten, half without a due date, a third unassigned.
 * The table's secondary indexes are dropped for the load and built again after it (from their own definitions).
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Context } from '../core/context';
import { settle } from '../core/settle';

export interface IssueSet {
  organization: string;
  /** By share of the issues: 40 %, 20 %, 10 %, then 30 % over the other seven. */
  projects: string[];
  issues: number;
}

const PROJECTS = 10;
const CHUNK = 100_000;
const ASSIGNEES = 50;

/**
 * One chunk, `n` from the fifth binding to the sixth; every random draw is a column of the inner select. Bindings:
 * projects, organization, assignees, creator, first, last.
 */
const INSERT_CHUNK = `
  INSERT INTO issues (id, project_id, organization_id, title, description, status, priority, due_date,
    assignee_id, created_by, created_at, updated_at, revision)
  SELECT gen_random_uuid(),
    (?::uuid[])[CASE WHEN r.p < 0.4 THEN 1 WHEN r.p < 0.6 THEN 2 WHEN r.p < 0.7 THEN 3
                            ELSE 4 + floor((r.p - 0.7) / 0.3 * 7)::int END],
    ?::uuid,
    CASE WHEN r.t < 0.9 THEN 'Fix the login page ' ELSE 'Update the docs ' END || r.n,
    'Steps to reproduce: open the page, press the button, see the error. Issue ' || r.n,
    CASE WHEN r.s < 0.6 THEN 'done' WHEN r.s < 0.8 THEN 'open' WHEN r.s < 0.95 THEN 'in_progress' ELSE 'blocked' END,
    CASE WHEN r.q < 0.7 THEN 'medium' WHEN r.q < 0.85 THEN 'high' WHEN r.q < 0.95 THEN 'low' ELSE 'critical' END,
    CASE WHEN r.d < 0.5 THEN NULL ELSE date '2026-06-01' + floor((r.d - 0.75) * 1460)::int END,
    CASE WHEN r.a < 0.3 THEN NULL ELSE (?::uuid[])[1 + floor(r.a * 1000)::int % ${ASSIGNEES}] END,
    ?::uuid,
    timestamptz '2024-01-01' + r.n * interval '1 minute',
    timestamptz '2024-01-01' + r.n * interval '1 minute' + r.u * interval '30 days',
    0
  FROM (SELECT n, random() AS p, random() AS t, random() AS s, random() AS q, random() AS d, random() AS a,
          random() AS u
        FROM generate_series(?::int, ?::int) AS n) AS r`;

const uuidArray = (ids: readonly string[]) => `{${ids.join(',')}}`;

/** Drops the issues table's secondary indexes; returns their definitions, to build them again. */
const dropIndexes = async (knex: Knex): Promise<string[]> => {
  const { rows } = await knex.raw<{ rows: { indexname: string; indexdef: string }[] }>(
    `SELECT indexname, indexdef FROM pg_indexes
     WHERE schemaname = current_schema() AND tablename = 'issues' AND indexname <> 'issues_pkey'`,
  );
  for (const row of rows) await knex.raw(`DROP INDEX "${row.indexname}"`);
  return rows.map((row) => row.indexdef);
};

const buildIndexes = (knex: Knex, definitions: readonly string[]): Promise<void> =>
  knex.transaction(async (trx) => {
    await trx.raw("SET LOCAL maintenance_work_mem = '512MB'");
    for (const definition of definitions) await trx.raw(definition);
  });

/** `count` issues in a new organization with ten projects, all owned by the fixtures' owner. */
export const seedIssues = async (ctx: Context, name: string, count: number): Promise<IssueSet> => {
  const { api, owner } = await ctx.fixtures();
  const organization = await api.organization(owner, name);
  const projects: string[] = [];
  for (let i = 0; i < PROJECTS; i++) projects.push(await api.project(owner, organization, `${name} ${i}`));
  await settle(ctx, `the ${name} organization`);
  const assignees = [owner.id, ...Array.from({ length: ASSIGNEES - 1 }, () => randomUUID())];
  const definitions = count >= CHUNK ? await dropIndexes(ctx.knex) : [];
  for (let first = 1; first <= count; first += CHUNK) {
    ctx.progress.step(`${name}: writing issues ${first}–${Math.min(count, first + CHUNK - 1)} of ${count}`);
    const last = Math.min(count, first + CHUNK - 1);
    await ctx.knex.raw(INSERT_CHUNK, [
      uuidArray(projects),
      organization,
      uuidArray(assignees),
      owner.id,
      first,
      last,
    ]);
  }
  ctx.progress.step(`${name}: building the indexes`);
  await buildIndexes(ctx.knex, definitions);
  await ctx.knex.raw('ANALYZE issues');
  return { organization, projects, issues: count };
};

/** The million issues of the list and growth rows (fewer in --quick), made once per run. */
export const bigIssueSet = (ctx: Context): Promise<IssueSet> =>
  ctx.once('bigIssues', async () => {
    await ctx.app();
    return seedIssues(ctx, 'Big', ctx.sizes.listIssues);
  });
