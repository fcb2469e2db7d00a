import { ValidationError } from '../../domain';

/** A keyset cursor: what the list is ordered by, and the ordering key of the last row shown (ending with its id). */
export interface Cursor {
  ordering: string;
  key: ReadonlyArray<string | number | null>;
}

export const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify([cursor.ordering, ...cursor.key]), 'utf8').toString('base64url');

const invalid = () => ValidationError.field('cursor', 'is not a cursor of this list');

/**
 * Decodes a cursor made by `encodeCursor` for the same ordering; `check` validates the key's parts so that
 * a forged cursor gets a 400 rather than reaching PostgreSQL.
 */
export const decodeCursor = (
  cursor: string,
  ordering: string,
  check: (key: ReadonlyArray<unknown>) => boolean,
): Cursor['key'] => {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw invalid();
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed[0] !== ordering) throw invalid();
  const key = parsed.slice(1);
  if (!key.every((part) => part === null || typeof part === 'string' || typeof part === 'number'))
    throw invalid();
  if (!check(key)) throw invalid();
  return key as Cursor['key'];
};
