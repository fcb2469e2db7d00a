import type { Knex } from 'knex';
import {
  foreignKeysOf,
  incomingForeignKeys,
  indexesOf,
  ownedSequences,
  quoteIdent,
  tableExists,
  triggersOf,
} from './catalog';

/** The shadow table a rebuild fills for a live table. */
export const shadowName = (table: string): string => `${table}__rebuild`;

const MAX_IDENTIFIER = 63;

const replaceFirst = (text: string, search: string, replacement: string): string => {
  const at = text.indexOf(search);
  return at < 0 ? text : text.slice(0, at) + replacement + text.slice(at + search.length);
};

/** Refuses, before any work, what the swap could not carry over. */
export const checkRebuildable = async (db: Knex, tables: readonly string[]): Promise<void> => {
  for (const table of tables) {
    if (shadowName(table).length > MAX_IDENTIFIER) throw new Error(`table name too long to shadow: ${table}`);
    if (!(await tableExists(db, table)))
      throw new Error(`table ${table} does not exist (run the migrations)`);
  }
  const incoming = await incomingForeignKeys(db, tables);
  if (incoming.length > 0) {
    throw new Error(`foreign keys from other tables would block the swap: ${incoming.join(', ')}`);
  }
};

/**
 * Creates empty shadow copies of the live tables (columns, defaults, checks, identity, unique indexes, foreign
 * keys re-pointed at sibling shadows, triggers). Non-unique indexes are left out: building them once after the
 * bulk load is much cheaper than maintaining them row by row; unique ones stay because upserts need them.
 */
export const createShadowTables = async (db: Knex, tables: readonly string[]): Promise<void> => {
  const own = new Set(tables);
  await db.raw(`DROP TABLE IF EXISTS ${tables.map((t) => quoteIdent(shadowName(t))).join(', ')}`);
  for (const table of tables) {
    const shadow = quoteIdent(shadowName(table));
    await db.raw(`CREATE TABLE ${shadow} (LIKE ${quoteIdent(table)} INCLUDING ALL)`);
    for (const index of await indexesOf(db, shadowName(table))) {
      if (!index.unique && !index.constraintBacked) await db.raw(`DROP INDEX ${quoteIdent(index.name)}`);
    }
    for (const fk of await foreignKeysOf(db, table)) {
      const definition = own.has(fk.referencedName)
        ? replaceFirst(
            fk.definition,
            `REFERENCES ${fk.referenced}(`,
            `REFERENCES ${quoteIdent(shadowName(fk.referencedName))}(`,
          )
        : fk.definition;
      await db.raw(`ALTER TABLE ${shadow} ADD CONSTRAINT ${quoteIdent(fk.name)} ${definition}`);
    }
    for (const trigger of await triggersOf(db, table)) {
      await db.raw(replaceFirst(trigger.definition, ` ON ${trigger.qualified} `, ` ON ${shadow} `));
    }
  }
};

export const shadowTablesExist = async (db: Knex, tables: readonly string[]): Promise<boolean> => {
  for (const table of tables) if (!(await tableExists(db, shadowName(table)))) return false;
  return true;
};

/** Builds the live tables' indexes that the shadows lack (idempotent, so a resumed rebuild can call it again). */
export const buildMissingIndexes = async (db: Knex, tables: readonly string[]): Promise<void> => {
  for (const table of tables) {
    const have = shapeCounts(await indexesOf(db, shadowName(table)));
    for (const index of await indexesOf(db, table)) {
      const left = have.get(index.shape) ?? 0;
      if (left > 0) {
        have.set(index.shape, left - 1);
        continue;
      }
      const [unique, using] = index.shape.startsWith('UNIQUE ')
        ? ['UNIQUE ', index.shape.slice(7)]
        : ['', index.shape];
      await db.raw(`CREATE ${unique}INDEX ON ${quoteIdent(shadowName(table))} ${using}`);
    }
  }
};

const shapeCounts = (indexes: readonly { shape: string }[]) => {
  const counts = new Map<string, number>();
  for (const index of indexes) counts.set(index.shape, (counts.get(index.shape) ?? 0) + 1);
  return counts;
};

/**
 * Inside the caller's transaction: drops the live tables and renames the shadows into their place, then gives
 * indexes (and so their constraints) and identity sequences the live names, so the schema looks exactly as the
 * migrations left it and the next rebuild starts from the same names. Serial sequences shared with the shadow
 * are handed over before the drop would take them along. Readers block for the few statements this takes and
 * then see the new tables; they never see a missing or half-filled table.
 */
export const swapShadowTables = async (trx: Knex.Transaction, tables: readonly string[]): Promise<void> => {
  const live = new Map<
    string,
    { indexes: Awaited<ReturnType<typeof indexesOf>>; identity: Map<string, string> }
  >();
  for (const table of tables) {
    const sequences = await ownedSequences(trx, table);
    live.set(table, {
      indexes: await indexesOf(trx, table),
      identity: new Map(sequences.filter((s) => s.kind === 'i').map((s) => [s.column, s.name])),
    });
    for (const serial of sequences.filter((s) => s.kind === 'a')) {
      await trx.raw(
        `ALTER SEQUENCE ${serial.sequence} OWNED BY ${quoteIdent(shadowName(table))}.${quoteIdent(serial.column)}`,
      );
    }
  }
  await trx.raw(`DROP TABLE ${tables.map(quoteIdent).join(', ')}`);
  for (const table of tables) {
    await trx.raw(`ALTER TABLE ${quoteIdent(shadowName(table))} RENAME TO ${quoteIdent(table)}`);
    const before = live.get(table)!;
    const unmatched = [...before.indexes];
    for (const index of await indexesOf(trx, table)) {
      const at = unmatched.findIndex((old) => old.shape === index.shape);
      if (at < 0) continue;
      const [old] = unmatched.splice(at, 1);
      if (old && old.name !== index.name) {
        await trx.raw(`ALTER INDEX ${quoteIdent(index.name)} RENAME TO ${quoteIdent(old.name)}`);
      }
    }
    for (const sequence of await ownedSequences(trx, table)) {
      const name = sequence.kind === 'i' ? before.identity.get(sequence.column) : undefined;
      if (name && name !== sequence.name) {
        await trx.raw(`ALTER SEQUENCE ${sequence.sequence} RENAME TO ${quoteIdent(name)}`);
      }
    }
  }
};

export const dropShadowTables = async (db: Knex, tables: readonly string[]): Promise<void> => {
  await db.raw(`DROP TABLE IF EXISTS ${tables.map((t) => quoteIdent(shadowName(t))).join(', ')}`);
};
