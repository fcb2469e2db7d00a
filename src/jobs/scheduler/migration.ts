import type { Knex } from 'knex';
import { sqlMigration } from '../../shared/sql-migration';

/**
 * Agenda's PostgreSQL table, as `@agendajs/postgres-backend` 3.0.6 creates it (its `schema.js`), made once by our
 * migrations rather than by every scheduler as it connects: schedulers starting together would race to create it,
 * and the backend's own set-up drops and recreates a trigger each time (locking the table). The backend runs with
 * `ensureSchema: false`; a backend version that needs another column gets a migration here. Written out rather
 * than taken from the package, so that this migration stays what it was when it ran.
 */
export const agendaJobsMigration = sqlMigration(
  `
      CREATE TABLE agenda_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(255) NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        next_run_at timestamptz,
        type varchar(10) NOT NULL DEFAULT 'normal' CHECK (type IN ('normal', 'single')),
        locked_at timestamptz,
        last_finished_at timestamptz,
        failed_at timestamptz,
        fail_count integer DEFAULT NULL,
        fail_reason text,
        repeat_timezone varchar(100),
        last_run_at timestamptz,
        repeat_interval varchar(255),
        data jsonb DEFAULT '{}'::jsonb,
        repeat_at varchar(255),
        disabled boolean DEFAULT false,
        progress real,
        fork boolean DEFAULT false,
        last_modified_by varchar(255),
        debounce_started_at timestamptz,
        start_date timestamptz,
        end_date timestamptz,
        skip_days jsonb,
        created_at timestamptz DEFAULT now(),
        updated_at timestamptz DEFAULT now()
      );
      CREATE INDEX agenda_jobs_find_and_lock_idx
        ON agenda_jobs (name, next_run_at, priority DESC, locked_at, disabled) WHERE disabled = false;
      CREATE UNIQUE INDEX agenda_jobs_single_job_idx ON agenda_jobs (name) WHERE type = 'single';
      CREATE INDEX agenda_jobs_locked_at_idx ON agenda_jobs (locked_at) WHERE locked_at IS NOT NULL;
      CREATE INDEX agenda_jobs_next_run_at_idx ON agenda_jobs (next_run_at) WHERE next_run_at IS NOT NULL;
      CREATE FUNCTION update_agenda_jobs_updated_at() RETURNS trigger AS $$
      BEGIN
        NEW.updated_at = now();
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql;
      CREATE TRIGGER agenda_jobs_updated_at_trigger BEFORE UPDATE ON agenda_jobs
        FOR EACH ROW EXECUTE FUNCTION update_agenda_jobs_updated_at();
    `,
  `
      DROP TABLE IF EXISTS agenda_jobs;
      DROP FUNCTION IF EXISTS update_agenda_jobs_updated_at();
    `,
);

/** The scheduler's tables, in order; the composition root places them. */
export const schedulerMigrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['0310_jobs_agenda', agendaJobsMigration],
];
