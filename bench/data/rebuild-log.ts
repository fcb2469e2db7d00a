/**
 * A log to rebuild from, in a database of its own (the rebuild replaces read model tables, which must not be the
 * app's): the migrations, the real events of the fixtures' owner, organization and project and of one issue
 * changed four times through the API, then that issue's stream copied under new issue ids until the log holds
 * about `events` events, blocks of 50 issues interleaved as concurrent work would leave them.
 */
import type { Knex } from 'knex';
import type pg from 'pg';
import { migrations } from '../../src/migrations';
import { migrateToLatest } from '../../src/platform/migrator';
import type { Context } from '../core/context';
import { benchKnex, benchPool } from '../core/services';

export interface RebuildLog {
  knex: Knex;
  pool: pg.Pool;
  events: number;
}

const ISSUES_PER_STATEMENT = 20_000;

const COPY_ISSUES = `
  INSERT INTO events (stream_id, revision, event_id, type, data, metadata)
  SELECT 'issue-' || c.id, t.revision, gen_random_uuid(), t.type,
         jsonb_set(t.data, '{issueId}', to_jsonb(c.id::text)), t.metadata
  FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, ?::int) AS n) AS c
  CROSS JOIN (SELECT revision, type, data, metadata FROM events WHERE stream_id = ?) AS t
  ORDER BY c.n / 50, t.revision, c.n`;

/** An issue with five events: created, then status, priority, title and assignee changed. */
const templateIssue = async (ctx: Context): Promise<string> => {
  const { api, owner, project } = await ctx.fixtures();
  const issue = await api.issue(owner, project, 'Template issue');
  await api.patchIssue(owner, issue, { status: 'in_progress' });
  await api.patchIssue(owner, issue, { priority: 'critical' });
  await api.patchIssue(owner, issue, { title: 'Template issue, renamed' });
  await api.patchIssue(owner, issue, { assigned_to_id: owner.id });
  return `issue-${issue}`;
};

/** The template streams' events from the app's log, in log order. */
const templateEvents = async (ctx: Context, issueStream: string) => {
  const { owner, organization, project } = await ctx.fixtures();
  const streams = [`user-${owner.id}`, `organization-${organization}`, `project-${project}`, issueStream];
  return ctx
    .knex('events')
    .select('stream_id', 'revision', 'event_id', 'type', 'data', 'metadata')
    .whereIn('stream_id', streams)
    .orderBy([{ column: 'tx_id' }, { column: 'seq' }]);
};

const copyIssues = async (ctx: Context, knex: Knex, stream: string, copies: number) => {
  for (let done = 0; done < copies; done += ISSUES_PER_STATEMENT) {
    ctx.progress.step(
      `writing the log: issues ${done + 1}–${Math.min(copies, done + ISSUES_PER_STATEMENT)} of ${copies}`,
    );
    await knex.raw(COPY_ISSUES, [Math.min(ISSUES_PER_STATEMENT, copies - done), stream]);
  }
};

/**
 * The log, made once per run. `withTemplates` runs when only the template events are in (the rebuild row builds
 * the read models `project_rooms` reads there, on a log of a few events rather than the whole one).
 */
export const rebuildLog = (
  ctx: Context,
  withTemplates: (log: RebuildLog) => Promise<void>,
): Promise<RebuildLog> =>
  ctx.once('rebuildLog', async () => {
    const issueStream = await templateIssue(ctx);
    const rows = await templateEvents(ctx, issueStream);
    const database = await ctx.freshDatabase('rebuild');
    const knex = benchKnex(database.url);
    ctx.onClose(() => knex.destroy());
    await migrateToLatest(knex, migrations);
    await knex('events').insert(
      rows.map((r) => ({ ...r, data: JSON.stringify(r.data), metadata: JSON.stringify(r.metadata) })),
    );
    const pool = benchPool(database.url, 5);
    ctx.onClose(() => pool.end());
    await withTemplates({ knex, pool, events: rows.length });
    const perIssue = rows.filter((r) => r.stream_id === issueStream).length;
    await copyIssues(ctx, knex, issueStream, Math.ceil((ctx.sizes.rebuildEvents - rows.length) / perIssue));
    await knex.raw('ANALYZE events');
    const count = await knex('events').count<{ count: string }[]>();
    return { knex, pool, events: Number(count[0]?.count) };
  });
