/**
 * `projections` (the status table) and `rebuild` (a read model into shadow tables, swapped in, with a progress bar):
 * the same machinery and the same view as the admin API's `/admin/projections/`.
 */
import { Presets, SingleBar } from 'cli-progress';
import { SYSTEM_ADMIN_ID } from '../domain/admin';
import type { Projection } from '../projections/projection';
import { readModels } from '../projections/read-models';
import { connectionOf } from '../projections/runner/pg-connection';
import { RebuildInProgressError, takeRebuildLock } from '../projections/runner/rebuild/rebuild-lock';
import {
  abortRebuild,
  type RebuildProgress,
  rebuildProjection,
} from '../projections/runner/rebuild/rebuild-projection';
import {
  describeProjections,
  logOffset,
  type ProjectionOverview,
} from '../projections/runner/rebuild/rebuild-status';
import { readProjectionStatus } from '../projections/runner/status';
import { type CliCommand, CliFailure, text, UsageError } from './command';
import type { CliContext } from './context';

/** Every projection the database knows: the read models, and the reactions whose checkpoints it holds. */
export const overview = async (ctx: CliContext): Promise<ProjectionOverview[]> => {
  const { rows } = await ctx.knex.raw<{ rows: { name: string }[] }>(
    "SELECT name FROM projection_checkpoints WHERE name LIKE 'reaction:%' ORDER BY name",
  );
  const [models, reactions] = await Promise.all([
    readProjectionStatus({ store: ctx.store, knex: ctx.knex, names: readModels.map((p) => p.name) }),
    readProjectionStatus({ store: ctx.store, knex: ctx.knex, names: rows.map((r) => r.name) }),
  ]);
  return describeProjections({ knex: ctx.knex, store: ctx.store, readModels: models, reactions });
};

const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  return s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
};

const rebuildCell = (p: ProjectionOverview): string => {
  if (!p.rebuild) return p.state === 'rebuilding' ? 'starting' : '';
  const r = p.rebuild;
  const pace = r.eventsPerSecond === null ? '' : `, ${r.eventsPerSecond} events/s`;
  if (p.state === 'interrupted') return `stopped at ${r.percent}% (rebuild again to resume, or --abort)`;
  const eta = r.etaSeconds === null ? '' : `, ETA ${duration(r.etaSeconds * 1000)}`;
  return `${r.percent}%, ${r.eventsApplied} events applied${pace}${eta}`;
};

/** Columns padded to their widest cell. */
export const table = (header: string[], rows: string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
};

const projectionsCommand: CliCommand = {
  name: 'projections',
  summary: 'The read models and reactions: state, checkpoint, lag, events applied, rebuild progress.',
  usage: 'projections [--json]',
  help: `
state: live; rebuilding (some process holds its rebuild lock); interrupted (a rebuild stopped midway: the next
one resumes it). Lag counts the events after the checkpoint (up to 10 000) and the age of the oldest of them.

options:
  --json    one JSON object per projection and line, instead of the table`,
  options: { json: { type: 'boolean' } },
  positionals: 0,
  async run({ values }, ctx, io) {
    const listed = await overview(ctx);
    if (values.json) {
      for (const p of listed) io.out.write(`${JSON.stringify(p)}\n`);
      return;
    }
    io.out.write(
      table(
        ['NAME', 'KIND', 'STATE', 'CHECKPOINT', 'LAG', 'LAG TIME', 'APPLIED', 'REBUILD'],
        listed.map((p) => [
          p.name,
          p.kind === 'read_model' ? 'read model' : 'reaction',
          p.state,
          p.checkpoint,
          `${p.lagEvents}${p.lagEvents >= 10_000 ? '+' : ''}`,
          duration(p.lagMs),
          String(p.eventsApplied),
          rebuildCell(p),
        ]),
      ),
    );
  },
};

const projectionNamed = (name: string): Projection => {
  const projection = readModels.find((p) => p.name === name);
  if (projection) return projection;
  const known = readModels.map((p) => p.name).join(', ');
  if (name.startsWith('reaction:'))
    throw new UsageError(
      `${name} is a reaction: its tables record what it did (notifications sent), so it is not rebuilt; ` +
        `read models: ${known}`,
    );
  throw new UsageError(`no read model named "${name}"; read models: ${known}`);
};

/** A bar along the log (the low half of a position grows with it), so its ETA needs no event count. */
const progressBar = (name: string) => {
  const bar = new SingleBar(
    {
      format: `${name} [{bar}] {percentage}% | {phase} | {applied} events | {rate} events/s | ETA {eta_formatted}`,
      etaBuffer: 50,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(1, 0, { phase: 'preparing', applied: 0, rate: 0 });
  return {
    update(p: RebuildProgress) {
      const total = Math.max(logOffset(p.target), 1);
      bar.setTotal(total);
      bar.update(p.phase === 'done' ? total : Math.min(logOffset(p.position), total), {
        phase: p.phase,
        applied: p.eventsApplied,
        rate: Math.round((p.eventsRead * 1000) / Math.max(p.elapsedMs, 1)),
      });
    },
    stop: () => bar.stop(),
  };
};

const elsewhere = (name: string) =>
  new CliFailure(
    `another process is rebuilding ${name} now; watch it with \`npm run cli -- projections\`, and run this again ` +
      'once it is done if you still need to',
  );

const rebuildCommand: CliCommand = {
  name: 'rebuild',
  summary: 'Rebuild a read model from the whole log into new tables and swap them in, while the app runs.',
  usage: 'rebuild <projection> [--fresh] [--abort] [--batch-size <n>]',
  help: `
Replays the log into shadow tables (<table>__rebuild), builds their indexes, then swaps them in in one short
transaction: readers use the old tables until then, the projector keeps them current meanwhile. One rebuild of a
projection at a time, across processes (a PostgreSQL advisory lock): while another runs, this exits with 1.
An interrupted rebuild (Ctrl-C, a crash) resumes where it stopped; the request is recorded as an
AdminActionRecorded (projection.rebuild_requested) of the command line.

projections: ${readModels.map((p) => p.name).join(', ')} (reactions are not rebuilt)

options:
  --fresh            start over instead of resuming an interrupted rebuild
  --abort            give up an interrupted rebuild: drop its tables and progress (the live tables stay)
  --batch-size <n>   events per transaction (default 5000)`,
  options: { fresh: { type: 'boolean' }, abort: { type: 'boolean' }, 'batch-size': { type: 'string' } },
  positionals: 1,
  async run({ values, positionals }, ctx, io) {
    const projection = projectionNamed(positionals[0]!);
    const batchText = text(values, 'batch-size');
    const batchSize = batchText === undefined ? undefined : Number(batchText);
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
      throw new UsageError('--batch-size: a positive integer');
    if (values.abort && values.fresh) throw new UsageError('--abort and --fresh: one or the other');
    const connection = connectionOf(ctx.knex);
    if (values.abort) {
      await abortRebuild({ knex: ctx.knex, projection, connection }).catch((error: unknown) => {
        throw error instanceof RebuildInProgressError ? elsewhere(projection.name) : error;
      });
      io.out.write(`abandoned the rebuild of ${projection.name}; its live tables are untouched\n`);
      return;
    }
    const release = await takeRebuildLock(connection, projection.name).catch((error: unknown) => {
      throw error instanceof RebuildInProgressError ? elsewhere(projection.name) : error;
    });
    try {
      await ctx.commands.recordAdminAction(
        {
          adminId: SYSTEM_ADMIN_ID,
          action: 'projection.rebuild_requested',
          details: { projection: projection.name, fresh: values.fresh === true, operator: ctx.operator },
        },
        { correlationId: ctx.correlationId },
      );
    } catch (error) {
      await release();
      throw error;
    }
    const bar = progressBar(projection.name);
    const interrupted = () => {
      bar.stop();
      io.err.write(`interrupted: run \`npm run cli -- rebuild ${projection.name}\` again to resume\n`);
    };
    io.stop.addEventListener('abort', interrupted);
    try {
      const result = await rebuildProjection({
        store: ctx.store,
        knex: ctx.knex,
        projection,
        heldLock: release,
        fresh: values.fresh === true,
        batchSize,
        onProgress: (p) => bar.update(p),
        afterBatch: () => {
          if (io.stop.aborted) throw new CliFailure(`the rebuild of ${projection.name} was interrupted`);
        },
      });
      bar.stop();
      io.out.write(
        `rebuilt ${projection.name}${result.resumed ? ' (resumed)' : ''}: ${result.eventsApplied} events applied ` +
          `in ${(result.elapsedMs / 1000).toFixed(1)} s, live at ${result.position}\n`,
      );
    } finally {
      io.stop.removeEventListener('abort', interrupted);
      bar.stop();
    }
  },
};

export const projectionCommands: CliCommand[] = [projectionsCommand, rebuildCommand];
