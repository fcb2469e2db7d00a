import type { Knex } from 'knex';
import { type RecordedEvent, comparePositions } from '../../../src/eventstore/port';
import type { Projection, ProjectionContext, RoomMessage } from '../../../src/projections/projection';
import { sendWhatItReads } from '../../../src/projections/runner/apply-batch';
import { WriteBatch } from '../../../src/projections/shared/sql';
import { readModels } from '../../../src/projections/read-models';

/**
 * Applies one batch the way the runner does: every projection, in order, in one transaction, each given only
 * the event types it declares. Returns the messages queued for after the commit.
 */
export const applyBatch = async (
  knex: Knex,
  events: readonly RecordedEvent[],
  options: {
    projections?: readonly Projection[];
    rebuilding?: boolean;
    table?: (name: string) => string;
  } = {},
): Promise<RoomMessage[]> => {
  const messages: RoomMessage[] = [];
  await knex.transaction(async (trx) => {
    const ctx: ProjectionContext = {
      trx,
      table: options.table ?? ((name) => name),
      emit: (message) => {
        if (!options.rebuilding) messages.push(message);
      },
      rebuilding: options.rebuilding ?? false,
      writes: new WriteBatch(trx),
    };
    for (const projection of options.projections ?? readModels) {
      const mine = events.filter((e) => projection.eventTypes.includes(e.type));
      if (mine.length === 0) continue;
      await sendWhatItReads(ctx, projection);
      await projection.apply(mine, ctx);
    }
    await ctx.writes.flush();
  });
  // As the runner does: rooms hear about events in log order even when several projections emit.
  return messages.sort((a, b) => comparePositions(a.position, b.position));
};

/** Every read-model table's rows, in a canonical order, for comparing two databases' states. */
export const snapshot = async (knex: Knex, tables = readModels.flatMap((p) => p.tables)) => {
  const result: Record<string, string[]> = {};
  for (const table of tables) {
    const { rows } = await knex.raw<{ rows: { row: string }[] }>(
      `SELECT to_jsonb(t)::text AS row FROM "${table}" AS t`,
    );
    result[table] = rows.map((r) => r.row).sort();
  }
  return result;
};

export const truncateReadModels = async (knex: Knex) => {
  const tables = readModels.flatMap((p) => p.tables).map((t) => `"${t}"`);
  await knex.raw(`TRUNCATE ${tables.join(', ')}`);
};
