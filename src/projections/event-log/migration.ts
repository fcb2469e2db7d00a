import { sqlMigration } from '../../shared/sql-migration';

/**
 * `event_log`: one row per event of the log, for the audit and admin views (docs/audit.md). Positions are
 * fixed-width hex, so `"C"` (byte) order is log order; every list reads one of these indexes in that order.
 */
export const eventLogMigration = sqlMigration(
  `
      CREATE TABLE event_log (
        position text COLLATE "C" PRIMARY KEY,
        event_id uuid NOT NULL,
        stream_id text COLLATE "C" NOT NULL,
        revision integer NOT NULL,
        type text COLLATE "C" NOT NULL,
        -- From the payload: organization, project and issue events name their organization; others have none.
        organization_id uuid,
        actor_id uuid,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        schema_version integer NOT NULL,
        correlation_id text,
        causation_id text,
        command_id text,
        -- As the projector read it (upcast then); readers upcast again, so later upcasters still apply.
        data jsonb,
        metadata jsonb NOT NULL
      );
      -- An organization's audit, newest first.
      CREATE INDEX event_log_organization ON event_log (organization_id, position) WHERE organization_id IS NOT NULL;
      -- One stream in order (within a stream, position order is revision order).
      CREATE INDEX event_log_stream ON event_log (stream_id, position);
      CREATE INDEX event_log_type ON event_log (type, position);
      CREATE INDEX event_log_actor ON event_log (actor_id, position) WHERE actor_id IS NOT NULL;
      -- Time ranges: the planner reads this one when a range is narrow, and sorts what it finds.
      CREATE INDEX event_log_occurred ON event_log (occurred_at, position);
    `,
  'DROP TABLE IF EXISTS event_log',
);
