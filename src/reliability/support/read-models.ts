/**
 * "Every read model equals a rebuild from the log": the live read-model tables, read in one snapshot together
 * with the checkpoint they reflect, against the log folded from scratch into a fresh database up to that same
 * checkpoint (the projections applied batch by batch, as the projector does). A fold can also be carried forward
 * round after round (it only ever appends the log's next events), which is the same fold, cheaper.
 */
import type { Knex } from 'knex';
import { createMigratedDatabase, type MigratedDatabase } from '../../../test/support/database';
import { applyBatch, snapshot } from '../../../test/support/read-models/batches';
import { type EventStore, type Position, type RecordedEvent, START } from '../../eventstore/port';
import { readModels } from '../../projections/read-models';

/** Each read-model table's rows as sorted JSON text. */
export type Tables = Record<string, string[]>;

const PAGE = 1000;
const TABLES = readModels.flatMap((p) => p.tables);
const NAMES = readModels.map((p) => p.name);

/**
 * The live tables and the checkpoint they reflect, read in one repeatable-read transaction (so a batch
 * committing meanwhile changes neither). Every read model's checkpoint must be the same position: one projector
 * applies every batch to all of them at once.
 */
export const liveTables = async (knex: Knex): Promise<{ position: Position; tables: Tables }> =>
  knex.transaction(
    async (trx) => {
      const rows = (await trx('projection_checkpoints')
        .whereIn('name', NAMES)
        .select('name', 'position')) as {
        name: string;
        position: Position;
      }[];
      const positions = new Set(rows.map((r) => r.position));
      if (rows.length !== NAMES.length || positions.size !== 1)
        throw new Error(`the read models' checkpoints differ: ${JSON.stringify(rows)}`);
      return { position: rows[0]!.position, tables: await snapshot(trx, TABLES) };
    },
    { isolationLevel: 'repeatable read' },
  );

/** The log folded into the read-model tables of a database of its own. */
export class LogFold {
  private folded: Position = START;
  private events = 0;

  private constructor(
    private readonly database: MigratedDatabase,
    private readonly store: EventStore,
  ) {}

  static async create(store: EventStore): Promise<LogFold> {
    return new LogFold(await createMigratedDatabase('tt_fold', { size: 2 }), store);
  }

  /** The position folded so far, and how many events that was. */
  get position(): Position {
    return this.folded;
  }

  get eventsFolded(): number {
    return this.events;
  }

  /**
   * Applies the log's events after what is folded, up to and including `upTo` (a checkpoint: every event at or
   * below it has been delivered, so a read that finds no more below it has them all).
   */
  async advanceTo(upTo: Position): Promise<void> {
    while (this.folded < upTo) {
      const page: RecordedEvent[] = await this.store.readAll({ fromPosition: this.folded, maxCount: PAGE });
      const mine = page.filter((e) => e.position <= upTo);
      if (mine.length > 0) await applyBatch(this.database.knex, mine);
      this.events += mine.length;
      this.folded = mine.length < PAGE ? upTo : mine.at(-1)!.position;
    }
  }

  tables(): Promise<Tables> {
    return snapshot(this.database.knex, TABLES);
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

/** The whole log up to `upTo` folded into a fresh database: its tables. */
export const foldFromScratch = async (store: EventStore, upTo?: Position): Promise<Tables> => {
  const fold = await LogFold.create(store);
  try {
    await fold.advanceTo(upTo ?? (await store.headPosition()));
    return await fold.tables();
  } finally {
    await fold.close();
  }
};

/**
 * Where two sets of tables differ: per table, the row counts and the first row that differs on each side
 * (rows are sorted JSON, so that row says what went wrong). Empty: equal.
 */
export const tableDifferences = (live: Tables, expected: Tables): string[] => {
  const differences: string[] = [];
  const names = new Set([...Object.keys(live), ...Object.keys(expected)]);
  for (const table of names) {
    const [mine, theirs] = [live[table] ?? [], expected[table] ?? []];
    const theirSet = new Set(theirs);
    const mySet = new Set(mine);
    const extra = mine.filter((row) => !theirSet.has(row));
    const missing = theirs.filter((row) => !mySet.has(row));
    if (mine.length === theirs.length && extra.length === 0 && missing.length === 0) continue;
    differences.push(
      `${table}: ${mine.length} live rows, ${theirs.length} in the rebuild; ` +
        `first live row not in the rebuild: ${extra[0]?.slice(0, 400) ?? 'none'}; ` +
        `first rebuilt row not live: ${missing[0]?.slice(0, 400) ?? 'none'}`,
    );
  }
  return differences;
};
