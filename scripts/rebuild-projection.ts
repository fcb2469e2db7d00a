/**
 * `npm run projections:rebuild -- <projection> [--fresh] [--abort] [--batch-size <n>]`
 *
 * Rebuilds one read model from the event log into shadow tables and swaps them in, while the app keeps running.
 * An interrupted rebuild resumes where it stopped; `--fresh` starts over; `--abort` drops what it left behind.
 */
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { UPCASTERS } from '../src/domain/upcasters';
import { decodePosition } from '../src/eventstore/port';
import { PgEventStore } from '../src/eventstore/postgres/pg-event-store';
import { upcasterChain } from '../src/eventstore/upcasting';
import { loadConfig } from '../src/platform/config';
import { createPostgresClients } from '../src/platform/postgres';
import { readModels } from '../src/projections/read-models';
import {
  abortRebuild,
  type RebuildProgress,
  rebuildProjection,
} from '../src/projections/runner/rebuild/rebuild-projection';

const USAGE = `usage: npm run projections:rebuild -- <projection> [--fresh] [--abort] [--batch-size <n>]
projections: ${readModels.map((p) => p.name).join(', ')}`;

const parse = () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      fresh: { type: 'boolean', default: false },
      abort: { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) throw new Error(USAGE);
  const projection = readModels.find((p) => p.name === positionals[0]);
  if (!projection) throw new Error(`unknown projection "${positionals[0]}"\n${USAGE}`);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
    throw new Error('--batch-size: a positive integer');
  return { projection, fresh: values.fresh, abort: values.abort, batchSize };
};

/**
 * Progress is measured along the log, not in events: the low half of a position grows with the log (the event
 * sequence in PostgreSQL, the prepare position in EventStoreDB), so the bar and its ETA need no event count.
 */
const offset = (position: string): number => Number(decodePosition(position).low);

const main = async (): Promise<void> => {
  const args = parse();
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL: must be set to rebuild a projection');
  if (config.eventStoreConnectionString)
    throw new Error('EVENTSTORE_CONNECTION_STRING: EventStoreDB logs are not supported by this script yet');
  const clients = createPostgresClients(config.databaseUrl, {
    poolSize: 4,
    applicationName: 'team-tracker-rebuild',
  });
  const store = new PgEventStore({ pool: clients.pool, upcast: upcasterChain(UPCASTERS) });
  try {
    if (args.abort) {
      await abortRebuild({ knex: clients.knex, projection: args.projection });
      process.stdout.write(
        `abandoned the rebuild of ${args.projection.name}; its live tables are untouched\n`,
      );
      return;
    }
    const bar = new SingleBar(
      {
        format: `${args.projection.name} [{bar}] {percentage}% | {phase} | {applied} events | {rate} events/s | ETA {eta_formatted}`,
        etaBuffer: 50,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    bar.start(1, 0, { phase: 'preparing', applied: 0, rate: 0 });
    const onProgress = (p: RebuildProgress) => {
      const total = Math.max(offset(p.target), 1);
      bar.setTotal(total);
      bar.update(p.phase === 'done' ? total : Math.min(offset(p.position), total), {
        phase: p.phase,
        applied: p.eventsApplied,
        rate: Math.round((p.eventsRead * 1000) / Math.max(p.elapsedMs, 1)),
      });
    };
    try {
      const result = await rebuildProjection({
        store,
        knex: clients.knex,
        projection: args.projection,
        fresh: args.fresh,
        batchSize: args.batchSize,
        onProgress,
      });
      bar.stop();
      const seconds = result.elapsedMs / 1000;
      process.stdout.write(
        `rebuilt ${args.projection.name}${result.resumed ? ' (resumed)' : ''}: ${result.eventsApplied} events applied ` +
          `in ${seconds.toFixed(1)} s, live at ${result.position}\n`,
      );
    } catch (error) {
      bar.stop();
      throw error;
    }
  } finally {
    await store.close();
    await clients.close();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
