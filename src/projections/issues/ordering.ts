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
] as const;
export type IssueOrdering = (typeof ISSUE_ORDERINGS)[number];

/**
 * How one ordering pages: the indexed column it sorts by (ties broken by id, in the same direction), how the last
 * row's key is written into a cursor, and how the cursor's key is read back. Issues without a due date sort
 * after every date (`due_key` is `infinity` for them), so they come last in `due_date` and first in `-due_date`.
 */
interface OrderKey {
  column: string;
  /** Over the merged page's columns. */
  keyText: string;
  keyParam: string;
  validKey: (value: unknown) => boolean;
}

const KEYS: Record<string, OrderKey> = {
  created_at: {
    column: 'created_at',
    keyText: timeText('created_at'),
    keyParam: '?::timestamptz',
    validKey: isIsoTime,
  },
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
  priority: {
    column: 'priority_rank',
    keyText: 'priority_rank',
    keyParam: '?::smallint',
    validKey: (value) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 3,
  },
};

export interface OrderPlan {
  ordering: IssueOrdering;
  /** `ORDER BY` over unqualified columns. */
  orderBy: string;
  /** The last row's ordering key, for its cursor. */
  keyText: string;
}

export const isIssueOrdering = (value: unknown): value is IssueOrdering =>
  typeof value === 'string' && (ISSUE_ORDERINGS as readonly string[]).includes(value);

export const orderPlan = (ordering: string | undefined): OrderPlan => {
  const chosen = ordering ?? '-created_at';
  if (!isIssueOrdering(chosen))
    throw ValidationError.field('ordering', `must be one of ${ISSUE_ORDERINGS.join(', ')}`);
  const descending = chosen.startsWith('-');
  const key = KEYS[chosen.replace(/^-/, '')]!;
  const direction = descending ? 'DESC' : 'ASC';
  return {
    ordering: chosen,
    orderBy: `${key.column} ${direction}, id ${direction}`,
    keyText: key.keyText,
  };
};

/** `(key, id)` strictly after the cursor's row in the list's direction: one index range condition. */
export const afterCursor = (ordering: IssueOrdering, key: ReadonlyArray<unknown>) => {
  const spec = KEYS[ordering.replace(/^-/, '')]!;
  const comparison = ordering.startsWith('-') ? '<' : '>';
  return {
    sql: `(${spec.column}, id) ${comparison} (${spec.keyParam}, ?::uuid)`,
    bindings: [key[0] as Knex.RawBinding, key[1] as Knex.RawBinding],
  };
};

export const validIssueCursorKey = (ordering: IssueOrdering) => (key: ReadonlyArray<unknown>) =>
  key.length === 2 && KEYS[ordering.replace(/^-/, '')]!.validKey(key[0]) && isUuid(key[1]);
