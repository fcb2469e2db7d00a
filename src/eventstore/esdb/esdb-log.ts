/**
 * `$all` as the EventStoreDB adapter reads it through the 6.2.1 client: paged backwards from a position (the head,
 * the record before a position, events the server did not place) and forwards (`readAll`). The client's `readAll`
 * has no filter option (it always sends "no filter"), so reads drop system records, other applications' events
 * and what the caller filtered out themselves.
 */
import {
  BACKWARDS,
  END,
  type EventStoreDBClient,
  FORWARDS,
  type Position as EsdbPosition,
  type ReadPosition,
} from '@eventstore/db-client';
import {
  DEFAULT_READ_ALL_COUNT,
  type Position,
  type ReadAllOptions,
  type RecordedEvent,
  START,
} from '../port';
import type { Upcast } from '../upcasting';
import {
  type EsdbResolvedLike,
  esdbPositionOf,
  inScope,
  isDeliverable,
  isSystemEvent,
  mapEsdbError,
  positionFromEsdb,
  positionToEsdb,
  toEsdbReadPosition,
  toRecordedEvent,
} from './esdb-mapping';

/** The client methods the adapter uses; a real `EventStoreDBClient` fits, and so does a test stub. */
export type EsdbClient = Pick<
  EventStoreDBClient,
  'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'
>;

/** What every operation of one store works with. */
export interface EsdbLog {
  client: EsdbClient;
  /** The application's stream prefixes: whole-log reads, the head and subscriptions see nothing else. */
  scope: readonly string[];
  /** Applied to every event read. */
  upcast: Upcast;
  /** Records of `$all` searched (backwards from its end) for the position of an event the server did not place. */
  positionSearchLimit: number;
}

/** Raw events per `$all` page (system events and filtered-out ones included). */
const PAGE_SIZE = 1000;
const MIN_PAGE_SIZE = 64;
const BACKWARDS_PAGE_SIZE = 256;

/** Every resolved event of one client read, with the client's errors in the port's terms. */
export const drain = async (
  read: AsyncIterable<EsdbResolvedLike>,
  context: Parameters<typeof mapEsdbError>[1],
): Promise<EsdbResolvedLike[]> => {
  const out: EsdbResolvedLike[] = [];
  try {
    for await (const resolved of read) out.push(resolved);
  } catch (error) {
    throw mapEsdbError(error, context);
  }
  return out;
};

const readAllPage = (
  client: EsdbClient,
  direction: typeof FORWARDS | typeof BACKWARDS,
  fromPosition: ReadPosition,
  maxCount: number,
) => drain(client.readAll({ direction, fromPosition, maxCount }), { operation: 'reading $all' });

/** Pages backwards through `$all` from `from` (exclusive; END for the end) until `visit` returns true. */
const scanBackwards = async (
  client: EsdbClient,
  from: typeof END | EsdbPosition,
  visit: (resolved: EsdbResolvedLike, position: Position) => boolean,
  limit = Number.POSITIVE_INFINITY,
): Promise<void> => {
  let cursor: ReadPosition = from;
  let cursorPosition: Position | undefined = from === END ? undefined : positionFromEsdb(from);
  let seen = 0;
  while (seen < limit) {
    // One more than needed: a server may repeat the boundary record.
    const count = Math.min(BACKWARDS_PAGE_SIZE, limit - seen + 1);
    const page = await readAllPage(client, BACKWARDS, cursor, count);
    let advanced = false;
    for (const resolved of page) {
      const raw = esdbPositionOf(resolved);
      if (!raw) continue;
      const position = positionFromEsdb(raw);
      // Guards against a server that repeats the boundary event of the previous page.
      if (cursorPosition !== undefined && position >= cursorPosition) continue;
      cursor = raw;
      cursorPosition = position;
      advanced = true;
      seen += 1;
      if (visit(resolved, position) || seen >= limit) return;
    }
    if (page.length < count || !advanced) return;
  }
};

/** How `findPositions` names an event: by stream and id. */
export const eventKey = (event: { streamId: string; id: string }): string =>
  `${event.streamId}\u0000${event.id}`;

/** The positions in `$all` of the given events (by `eventKey`), searched from the end of the log. */
export const findPositions = async (
  log: EsdbLog,
  wanted: ReadonlyArray<{ streamId: string; id: string }>,
): Promise<Map<string, Position>> => {
  const missing = new Set(wanted.map(eventKey));
  const found = new Map<string, Position>();
  if (missing.size === 0) return found;
  await scanBackwards(
    log.client,
    END,
    (resolved, position) => {
      const key = resolved.event ? eventKey(resolved.event) : undefined;
      if (key && missing.delete(key)) found.set(key, position);
      return missing.size === 0;
    },
    log.positionSearchLimit,
  );
  return found;
};

/** A record the application wrote: in scope and not EventStoreDB's own. */
const isOurs = (log: EsdbLog, event: { streamId: string; type: string }): boolean =>
  !isSystemEvent(event) && inScope(event.streamId, log.scope);

/** The last event of the application in the log, scanning back past other applications' and system records. */
export const headPosition = async (log: EsdbLog): Promise<Position> => {
  let head: Position = START;
  await scanBackwards(log.client, END, (resolved, position) => {
    if (!resolved.event || !isOurs(log, resolved.event)) return false;
    head = position;
    return true;
  });
  return head;
};

/** Any record before `position` (for a subscription's start, see esdb-subscription.ts), or START. */
export const recordBefore = async (log: EsdbLog, position: Position): Promise<Position> => {
  let before: Position = START;
  await scanBackwards(
    log.client,
    positionToEsdb(position),
    (_resolved, at) => {
      if (at >= position) return false;
      before = at;
      return true;
    },
    2,
  );
  return before;
};

/** The application's events after a position, in log order, filtered in process. */
export const readAll = async (log: EsdbLog, options: ReadAllOptions = {}): Promise<RecordedEvent[]> => {
  const maxCount = options.maxCount ?? DEFAULT_READ_ALL_COUNT;
  const out: RecordedEvent[] = [];
  let cursor = options.fromPosition ?? START;
  while (out.length < maxCount) {
    // Reading $all forwards from a position includes the event at it: ask for one more, and for a few more
    // than that, since system records and other applications' events are dropped here.
    const count = Math.min(PAGE_SIZE, Math.max(MIN_PAGE_SIZE, maxCount - out.length + 1));
    const page = await readAllPage(log.client, FORWARDS, toEsdbReadPosition(cursor), count);
    let advanced = false;
    for (const resolved of page) {
      const raw = esdbPositionOf(resolved);
      if (!raw) continue;
      const position = positionFromEsdb(raw);
      if (cursor !== START && position <= cursor) continue;
      cursor = position;
      advanced = true;
      if (!resolved.event || !isDeliverable(resolved.event, options.filter, log.scope)) continue;
      const event = toRecordedEvent(resolved);
      if (event) out.push(log.upcast(event));
      if (out.length >= maxCount) break;
    }
    if (page.length < count || !advanced) break;
  }
  return out;
};
