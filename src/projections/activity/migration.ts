import type { Knex } from 'knex';

/**
 * What each project room was sent, keyed by the event's position: WebSocket resume (`?since=`) replays
 * `payload`s after a position with one index range scan.
 */
export const activityMigration: Knex.Migration = {
  async up(knex) {
    await knex.raw(`
      CREATE TABLE project_activity (
        position text COLLATE "C" PRIMARY KEY,
        project_id uuid NOT NULL,
        organization_id uuid NOT NULL,
        stream_id text NOT NULL,
        event_type text NOT NULL,
        -- text, not uuid: a system actor may have a name rather than a user id.
        actor_id text,
        occurred_at timestamptz NOT NULL,
        payload jsonb NOT NULL
      );
      CREATE INDEX project_activity_project ON project_activity (project_id, position);
    `);
  },
  async down(knex) {
    await knex.raw('DROP TABLE IF EXISTS project_activity');
  },
};
