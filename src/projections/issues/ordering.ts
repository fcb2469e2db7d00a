import type { Knex } from 'knex';
import { ValidationError } from '../../domain';
import { isUuid } from '../shared/ids';
import { timeText } from '../shared/sql';
import { isCalendarDate, isIsoTime } from '../shared/values';

export const ISSUE_ORDERINGS = [
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'due_date',
  '-due_date',
  'priority',
  '-priority',
  'status',
  '-status',
  'title',
  '-title',
] as const;
export type IssueOrdering = (typeof ISSUE_ORDERINGS)[number];

/**
 * How one ordering pages: the indexed column it sorts by, then (API.md) ties by `created_at`, then by `id`, all in
 * the same direction, so one index (scope, key, created_at, id) serves both directions (a btree scans backwards)
 * with no sort. Issues without a due date sort after every date (`due_key` is `infinity` for them), so they come
 * last in `due_date` and first in `-due_date`; status sorts in workflow order (`status_rank`), priority from low to
 * critical (`priority_rank`), titles without regard to case (`title_key`).
 */
interface OrderKey {
  column: string;
  /** Over the merged page's columns. */
  keyText: string;
  keyParam: string;
  validKey: (value: unknown) => boolean;
}

const rank = (max: number) => (value: unknown) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;

const KEYS: Record<string, OrderKey> = {
  updated_at: {
    column: 'updated_at',
    keyText: timeText('updated_at'),
    keyParam: '?::timestamptz',
    validKey: isIsoTime,
  },
  due_date: {
    column: 'due_key',
    keyText: `to_char(due_date, 'YYYY-MM-DD')`,
    keyParam: `coalesce(?::date, 'infinity'::date)`,
    validKey: (value) => value === null || isCalendarDate(value),
  },
  priority: { column: 'priority_rank', keyText: 'priority_rank', keyParam: '?::smallint', validKey: rank(3) },
  status: { column: 'status_rank', keyText: 'status_rank', keyParam: '?::smallint', validKey: rank(3) },
  title: {
    column: 'title_key',
    keyText: 'title_key',
    keyParam: '?::text',
    validKey: (value) => typeof value === 'string' && value.length <= 1024,
  },
};

export interface OrderPlan {
  ordering: IssueOrdering;
  /** `ORDER BY` over unqualified columns. */
  orderBy: string;
  /** The last row's ordering key before its id, for its cursor (one expression per part, comma-separated). */
  keyText: string;
}

export const isIssueOrdering = (value: unknown): value is IssueOrdering =>
  typeof value === 'string' && (ISSUE_ORDERINGS as readonly string[]).includes(value);

const keyOf = (ordering: IssueOrdering): OrderKey | null => KEYS[ordering.replace(/^-/, '')] ?? null;

export const orderPlan = (ordering: string | undefined): OrderPlan => {
  const chosen = ordering ?? '-created_at';
  if (!isIssueOrdering(chosen))
    throw ValidationError.field('ordering', `must be one of ${ISSUE_ORDERINGS.join(', ')}`);
  const direction = chosen.startsWith('-') ? 'DESC' : 'ASC';
  const key = keyOf(chosen);
  const created = timeText('created_at');
  return {
    ordering: chosen,
    orderBy: key
      ? `${key.column} ${direction}, created_at ${direction}, id ${direction}`
      : `created_at ${direction}, id ${direction}`,
    keyText: key ? `${key.keyText}, ${created}` : created,
  };
};

/** How many parts a cursor of this ordering has before the id. */
export const cursorKeyParts = (ordering: IssueOrdering): number => (keyOf(ordering) ? 2 : 1);

/** `(key, created_at, id)` strictly after the cursor's row in the list's direction: one index range condition. */
export const afterCursor = (ordering: IssueOrdering, key: ReadonlyArray<unknown>) => {
  const spec = keyOf(ordering);
  const comparison = ordering.startsWith('-') ? '<' : '>';
  const columns = spec ? `${spec.column}, created_at, id` : 'created_at, id';
  const params = spec ? `${spec.keyParam}, ?::timestamptz, ?::uuid` : '?::timestamptz, ?::uuid';
  return {
    sql: `(${columns}) ${comparison} (${params})`,
    bindings: key as Knex.RawBinding[],
  };
};

export const validIssueCursorKey = (ordering: IssueOrdering) => (key: ReadonlyArray<unknown>) => {
  const spec = keyOf(ordering);
  if (!spec) return key.length === 2 && isIsoTime(key[0]) && isUuid(key[1]);
  return key.length === 3 && spec.validKey(key[0]) && isIsoTime(key[1]) && isUuid(key[2]);
};
