import type { Knex } from 'knex';
import { isUuid } from '../shared/ids';
import { arrayParam, ident, preparedRaw, type RowsWhereAny } from '../shared/sql';

/** Usernames never change, so any projection may read them from the users table, whatever its checkpoint. */
export const usernamesOf = async (
  db: Knex | Knex.Transaction,
  ids: Iterable<string | null>,
  table = 'users',
): Promise<Map<string, string>> => {
  const wanted = [...new Set(ids)].filter(isUuid);
  if (wanted.length === 0) return new Map();
  const { rows } = await preparedRaw<{ rows: { id: string; username: string }[] }>(
    db,
    `SELECT id, username FROM ${ident(table)} WHERE id = ANY(?::uuid[])`,
    [arrayParam(wanted)],
  );
  return new Map(rows.map((row) => [row.id, row.username]));
};

/** What `usernamesOf` reads, for `rowsWhereAnyOf` beside other tables (the ids that are no uuid left out). */
export const usernamesToLoad = (table: string, ids: Iterable<string | null>): RowsWhereAny => ({
  table,
  columns: 'id, username',
  column: 'id',
  values: [...new Set(ids)].filter(isUuid),
});

/** `{ id, username }` as the API shows a user inside another resource, or null. */
export const userRef = (
  id: string | null,
  usernames: ReadonlyMap<string, string>,
): { id: string; username: string | null } | null =>
  id === null ? null : { id, username: usernames.get(id) ?? null };
