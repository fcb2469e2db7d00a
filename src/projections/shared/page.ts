import { ValidationError } from '../../domain';
import { type Cursor, decodeCursor } from './cursor';

/** One page of a list: the API turns `nextCursor` into the `next` URL. */
export interface Page<T> {
  results: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  /** 1–100; default 50. */
  limit?: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string | null;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

export const pageLimit = (limit: number | undefined): number => {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw ValidationError.field('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
};

/**
 * Queries fetch one row more than the limit: its presence says a next page exists, and the cursor is made
 * from the last row shown, so the next page starts right after it.
 */
export const toPage = <Row, T>(
  rows: readonly Row[],
  limit: number,
  view: (row: Row) => T,
  cursorOf: (row: Row) => string,
): Page<T> => {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    results: shown.map(view),
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
};

/**
 * A page request as a keyset query reads it: the limit, and the ordering key of the last row the previous page
 * showed (null on the first page). `check` validates a cursor's key (see `decodeCursor`).
 */
export const readPageRequest = (
  request: PageRequest,
  ordering: string,
  check: (key: ReadonlyArray<unknown>) => boolean,
): { limit: number; after: Cursor['key'] | null } => ({
  limit: pageLimit(request.limit),
  after: request.cursor ? decodeCursor(request.cursor, ordering, check) : null,
});
