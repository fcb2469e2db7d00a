/**
 * Waiting for the app to be quiet: every read model and reaction past the log's head and no member removal
 * pending. Setup steps wait for it before a row measures (under load a command may answer 202 before the read
 * models have its events).
 */
import type { Knex } from 'knex';
import { encodePosition, START } from '../../src/eventstore/port';
import { sleep } from './clock';
import type { Context } from './context';

const headPosition = async (knex: Knex): Promise<string> => {
  const row = await knex('events')
    .select(knex.raw('tx_id::text AS tx'), knex.raw('seq::text AS seq'))
    .orderBy([
      { column: 'tx_id', order: 'desc' },
      { column: 'seq', order: 'desc' },
    ])
    .first();
  return row ? encodePosition(BigInt(row.tx), BigInt(row.seq)) : START;
};

const countOf = async (query: Knex.QueryBuilder): Promise<number> => {
  const rows = (await query.count({ count: '*' })) as { count: string | number }[];
  return Number(rows[0]?.count ?? 0);
};

/** Resolves true once quiet, false after `timeoutMs`. */
export const waitForQuiet = async (ctx: Context, timeoutMs = 120_000): Promise<boolean> => {
  const head = await headPosition(ctx.knex);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const behind = await countOf(ctx.knex('projection_checkpoints').where('position', '<', head));
    const pending = await countOf(ctx.knex('member_removals').where({ status: 'pending' }));
    if (behind === 0 && pending === 0) return true;
    await sleep(250);
  }
  return false;
};

/** Waits for quiet, or fails the row saying what it was waiting for. */
export const settle = async (ctx: Context, after: string): Promise<void> => {
  ctx.progress.step(`waiting for the read models to take ${after}`);
  if (!(await waitForQuiet(ctx)))
    throw new Error(`the read models did not catch up with ${after} in 2 minutes`);
};
