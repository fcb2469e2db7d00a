import type { Knex } from 'knex';

/** Catalog reads the shadow-table protocol needs, for one table in the current search_path. */

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export interface IndexInfo {
  name: string;
  /** The definition without its own name and table, so an index and its copy on another table compare equal. */
  shape: string;
  unique: boolean;
  /** Backs a primary key, unique or exclusion constraint (and so cannot be dropped on its own). */
  constraintBacked: boolean;
}

const SHAPE = /^CREATE (UNIQUE )?INDEX .+? ON (?:ONLY )?.+? (USING .*)$/s;

export const indexShape = (definition: string): string => {
  const match = SHAPE.exec(definition);
  if (!match) throw new Error(`unexpected index definition: ${definition}`);
  return `${match[1] ?? ''}${match[2]}`;
};

const rowsOf = async <R>(db: Knex, sql: string, bindings: readonly Knex.RawBinding[]): Promise<R[]> =>
  (await db.raw<{ rows: R[] }>(sql, bindings)).rows;

export const tableExists = async (db: Knex, table: string): Promise<boolean> => {
  const [row] = await rowsOf<{ oid: string | null }>(db, 'SELECT to_regclass(?)::text AS oid', [
    quoteIdent(table),
  ]);
  return row?.oid != null;
};

export const indexesOf = async (db: Knex, table: string): Promise<IndexInfo[]> => {
  const rows = await rowsOf<{ name: string; def: string; unique: boolean; backed: boolean }>(
    db,
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS unique,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                    AND k.contype IN ('p', 'u', 'x')) AS backed
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = ?::regclass ORDER BY c.relname`,
    [quoteIdent(table)],
  );
  return rows.map((r) => ({
    name: r.name,
    shape: indexShape(r.def),
    unique: r.unique,
    constraintBacked: r.backed,
  }));
};

export interface OwnedSequence {
  /** Schema-qualified where needed, quoted: usable in DDL as is. */
  sequence: string;
  name: string;
  column: string;
  /** 'a': a serial column's sequence (OWNED BY); 'i': an identity column's own sequence. */
  kind: 'a' | 'i';
}

export const ownedSequences = (db: Knex, table: string): Promise<OwnedSequence[]> =>
  rowsOf<OwnedSequence>(
    db,
    `SELECT s.oid::regclass::text AS sequence, s.relname AS name, a.attname AS column, d.deptype AS kind
     FROM pg_depend d
     JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
       AND d.refobjid = ?::regclass AND d.deptype IN ('a', 'i')`,
    [quoteIdent(table)],
  );

export interface ForeignKey {
  name: string;
  definition: string;
  /** The referenced table as `pg_get_constraintdef` prints it. */
  referenced: string;
  referencedName: string;
}

export const foreignKeysOf = (db: Knex, table: string): Promise<ForeignKey[]> =>
  rowsOf<ForeignKey>(
    db,
    `SELECT k.conname AS name, pg_get_constraintdef(k.oid) AS definition,
            k.confrelid::regclass::text AS referenced, r.relname AS "referencedName"
     FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid
     WHERE k.conrelid = ?::regclass AND k.contype = 'f' ORDER BY k.conname`,
    [quoteIdent(table)],
  );

/** Foreign keys from tables outside `tables` into them: dropping the old tables would break those. */
export const incomingForeignKeys = async (db: Knex, tables: readonly string[]): Promise<string[]> => {
  const rows = await rowsOf<{ description: string }>(
    db,
    `SELECT k.conrelid::regclass::text || '.' || k.conname AS description
     FROM pg_constraint k
     WHERE k.contype = 'f'
       AND k.confrelid IN (SELECT to_regclass(t) FROM jsonb_array_elements_text(?::jsonb) AS t)
       AND k.conrelid NOT IN (SELECT to_regclass(t) FROM jsonb_array_elements_text(?::jsonb) AS t)`,
    [JSON.stringify(tables.map(quoteIdent)), JSON.stringify(tables.map(quoteIdent))],
  );
  return rows.map((r) => r.description);
};

/** User triggers with their definition and the table as the definition prints it. */
export const triggersOf = (db: Knex, table: string): Promise<{ definition: string; qualified: string }[]> =>
  rowsOf(
    db,
    `SELECT pg_get_triggerdef(t.oid) AS definition, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qualified
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE t.tgrelid = ?::regclass AND NOT t.tgisinternal ORDER BY t.tgname`,
    [quoteIdent(table)],
  );
