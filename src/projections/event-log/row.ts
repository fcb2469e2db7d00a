import type { EventMetadata } from '../../eventstore/port';

/** A row of `event_log` as the queries select it. */
export interface EventLogRow {
  position: string;
  event_id: string;
  stream_id: string;
  revision: number;
  type: string;
  schema_version: number;
  recorded_at: Date | string;
  data: unknown;
  metadata: EventMetadata;
}

/** What every query selects: the presenter needs nothing else. */
export const EVENT_LOG_COLUMNS =
  'position, event_id, stream_id, revision, type, schema_version, recorded_at, data, metadata';
