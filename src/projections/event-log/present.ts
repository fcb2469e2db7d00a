import { UPCASTERS } from '../../domain/upcasters';
import type { Position, RecordedEvent, StreamReader } from '../../eventstore/port';
import { type Upcast, upcasterChain } from '../../eventstore/upcasting';
import { unique } from '../shared/events';
import { isoTime } from '../shared/sql';
import { userRef } from '../users/usernames';
import type { EventLogRow } from './row';

/** The payload as the store holds it, before any upcaster. */
export interface StoredPayload {
  schema_version: number;
  data: unknown;
}

/** One event as the audit and admin endpoints show it (docs/audit.md). */
export interface LoggedEvent {
  position: Position;
  stream: string;
  revision: number;
  id: string;
  type: string;
  occurred_at: string;
  recorded_at: string;
  actor: { id: string; username: string | null } | null;
  correlation_id: string | null;
  causation_id: string | null;
  command_id: string | null;
  /** The version of `data`: the current one for its type, once upcast. */
  schema_version: number;
  data: unknown;
  /** With `?stored=true`: as the store holds it; null when the store no longer has it. */
  stored?: StoredPayload | null;
}

/** Today's upcasters: the index keeps what the projector read, and readers raise it to the current shapes. */
export const currentUpcast: Upcast = upcasterChain(UPCASTERS);

const recordedOf = (row: EventLogRow): RecordedEvent => ({
  eventId: row.event_id,
  streamId: row.stream_id,
  revision: row.revision,
  position: row.position,
  type: row.type,
  data: row.data,
  metadata: { ...row.metadata, schemaVersion: row.schema_version },
  recordedAt: new Date(row.recorded_at),
});

/** The ids of the users a page of rows names, for `usernamesOf`. */
export const actorsOf = (rows: readonly EventLogRow[]): string[] =>
  unique(rows.map((row) => row.metadata.actorId).filter((id): id is string => typeof id === 'string'));

/** A row of `event_log` in the API's shape, its payload upcast by `upcast` (today's chain by default). */
export const presentEvent = (
  row: EventLogRow,
  usernames: ReadonlyMap<string, string>,
  upcast: Upcast = currentUpcast,
): LoggedEvent => {
  const event = upcast(recordedOf(row));
  const { metadata } = event;
  return {
    position: event.position,
    stream: event.streamId,
    revision: event.revision,
    id: event.eventId,
    type: event.type,
    occurred_at: isoTime(metadata.occurredAt),
    recorded_at: isoTime(event.recordedAt),
    actor: userRef(metadata.actorId ?? null, usernames),
    correlation_id: metadata.correlationId ?? null,
    causation_id: metadata.causationId ?? null,
    command_id: metadata.commandId ?? null,
    schema_version: metadata.schemaVersion,
    data: event.data,
  };
};

/** Revisions in runs close enough together to read at once (a page may hold revisions far apart in one stream). */
const runsOf = (revisions: readonly number[], gap = 16): number[][] => {
  const runs: number[][] = [];
  for (const revision of [...new Set(revisions)].sort((a, b) => a - b)) {
    const run = runs[runs.length - 1];
    if (run !== undefined && revision - run[run.length - 1]! <= gap) run.push(revision);
    else runs.push([revision]);
  }
  return runs;
};

/** Some of one stream's stored events, by revision: one read per run of nearby revisions. */
const storedOfStream = async (
  raw: StreamReader,
  stream: string,
  revisions: readonly number[],
): Promise<Map<number, StoredPayload>> => {
  const found = new Map<number, StoredPayload>();
  for (const run of runsOf(revisions)) {
    const from = run[0]!;
    const maxCount = run[run.length - 1]! - from + 1;
    for (const e of await raw.readStream(stream, { fromRevision: from, maxCount }))
      found.set(e.revision, { schema_version: e.metadata.schemaVersion, data: e.data });
  }
  return found;
};

/**
 * Adds `stored` to each event: its payload read back from `raw`, a store that does not upcast, by stream and
 * revision (one read per run of nearby revisions of each stream).
 */
export const withStored = async (
  raw: StreamReader,
  events: readonly LoggedEvent[],
): Promise<LoggedEvent[]> => {
  const byStream = new Map<string, number[]>();
  for (const e of events) {
    const revisions = byStream.get(e.stream) ?? [];
    revisions.push(e.revision);
    byStream.set(e.stream, revisions);
  }
  const found = new Map<string, Map<number, StoredPayload>>();
  await Promise.all(
    [...byStream].map(async ([stream, revisions]) =>
      found.set(stream, await storedOfStream(raw, stream, revisions)),
    ),
  );
  return events.map((e) => ({ ...e, stored: found.get(e.stream)?.get(e.revision) ?? null }));
};
