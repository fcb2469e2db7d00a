import { ValidationError } from '../../domain';
import { isPosition, type Position } from '../../eventstore/port';
import { and, type Fragment, fragment, mergedBranches } from '../shared/keyset';
import { isUuid } from '../shared/ids';
import { isIsoTime, isStorableText } from '../shared/values';
import { EVENT_LOG_COLUMNS } from './row';

/** Which events of the log: every filter given must hold. */
export interface EventQuery {
  /** Any of these event types. */
  types?: readonly string[];
  /** One stream, e.g. `issue-<uuid>`. */
  stream?: string;
  /** The user who acted (the events' `actorId`). */
  actor?: string;
  /** Events of the organization and of its projects and issues. */
  organization?: string;
  /** Strictly after this position. */
  afterPosition?: Position;
  /** Strictly before this position (an export stops at its own record). */
  beforePosition?: Position;
  /** Occurred strictly after this ISO 8601 time. */
  occurredAfter?: string;
  /** Occurred at or after this ISO 8601 time. */
  occurredFrom?: string;
  /** Occurred strictly before this ISO 8601 time. */
  occurredBefore?: string;
  /** Newest first (the audit); oldest first otherwise. */
  newestFirst?: boolean;
}

/** The cursor's ordering name: a cursor of one direction is refused by the other. */
export const orderingOf = (query: EventQuery): string => (query.newestFirst ? '-position' : 'position');

export const isPositionKey = (key: ReadonlyArray<unknown>): boolean =>
  key.length === 1 && typeof key[0] === 'string' && isPosition(key[0]);

const POSITIONS = [
  ['afterPosition', 'after'],
  ['beforePosition', 'before'],
] as const;

const TIMES = [
  ['occurredAfter', 'after', '>'],
  ['occurredFrom', 'from', '>='],
  ['occurredBefore', 'before', '<'],
] as const;

/** Bad values are the caller's error (400 naming the field); ids that are not UUIDs simply match nothing. */
const checked = (query: EventQuery): void => {
  for (const [key, field] of POSITIONS)
    if (query[key] !== undefined && !isPosition(query[key]))
      throw ValidationError.field(field, 'must be a position as given in X-Position');
  for (const [key, field] of TIMES)
    if (query[key] !== undefined && !isIsoTime(query[key]))
      throw ValidationError.field(field, 'must be an ISO 8601 time with a zone');
};

const matchesNothing = (query: EventQuery): boolean =>
  (query.actor !== undefined && !isUuid(query.actor)) ||
  (query.organization !== undefined && !isUuid(query.organization)) ||
  (query.stream !== undefined && !isStorableText(query.stream)) ||
  (query.types !== undefined && (query.types.length === 0 || !query.types.every(isStorableText)));

/** The conditions every branch shares: filters, then the page's start. */
const conditions = (query: EventQuery, after: Position | null): Fragment[] => {
  const parts: Fragment[] = [];
  if (query.organization !== undefined) parts.push(fragment('organization_id = ?::uuid', query.organization));
  if (query.stream !== undefined) parts.push(fragment('stream_id = ?', query.stream));
  if (query.actor !== undefined) parts.push(fragment('actor_id = ?::uuid', query.actor));
  if (query.afterPosition !== undefined) parts.push(fragment('position > ?', query.afterPosition));
  if (query.beforePosition !== undefined) parts.push(fragment('position < ?', query.beforePosition));
  for (const [key, , operator] of TIMES)
    if (query[key] !== undefined) parts.push(fragment(`occurred_at ${operator} ?::timestamptz`, query[key]));
  if (after !== null) parts.push(fragment(query.newestFirst ? 'position < ?' : 'position > ?', after));
  return parts;
};

/**
 * One batch of the query after `after` (a position; null: from the start) as SQL, or null when it can match
 * nothing. One branch per type, each an index range scan in position order, merged without a sort.
 */
export const eventLogQuery = (query: EventQuery, after: Position | null, limit: number): Fragment | null => {
  checked(query);
  if (matchesNothing(query)) return null;
  const shared = conditions(query, after);
  const scopes =
    query.types === undefined
      ? [fragment('TRUE')]
      : [...new Set(query.types)].map((t) => fragment('type = ?', t));
  return mergedBranches({
    branches: scopes.map((scope) => and([scope, ...shared])),
    innerColumns: EVENT_LOG_COLUMNS,
    outerColumns: EVENT_LOG_COLUMNS,
    from: 'event_log',
    orderBy: query.newestFirst ? 'position DESC' : 'position',
    limit,
  });
};
