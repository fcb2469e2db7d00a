/**
 * Where Agenda keeps its jobs: PostgreSQL (`agenda_jobs`, the app's own database: the embedded default and the
 * tests) or MongoDB (`MONGODB_URL`). Either way the connection is ours, not Agenda's: we open it, we ping it for
 * `/readyz`, and we close it last in the shutdown, after Agenda has let go of its jobs.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { PostgresBackend } from '@agendajs/postgres-backend';
import type { AgendaBackend } from 'agenda';
import { MongoClient } from 'mongodb';
import pg from 'pg';

/** The table (PostgreSQL) or collection (MongoDB) that holds the jobs. */
export const JOBS_TABLE = 'agenda_jobs';
/** The database used when `MONGODB_URL` names none. */
export const DEFAULT_MONGO_DATABASE = 'team_tracker';

export type JobStoreSettings =
  | {
      kind: 'postgresql';
      connectionString: string;
      /** Connections for Agenda (its LISTEN connection included when it processes). */
      poolSize?: number;
      applicationName?: string;
    }
  | {
      kind: 'mongodb';
      url: string;
      /** How long an operation waits for a server before it fails (the driver's default is 30 s). */
      serverSelectionTimeoutMs?: number;
      applicationName?: string;
    };

export interface JobStore {
  kind: JobStoreSettings['kind'];
  /** Agenda's backend over our connection (Agenda never closes it: `ownsConnection` is false). */
  backend: AgendaBackend;
  /** A round trip to the store's server; throws when it does not answer. */
  ping(): Promise<void>;
  /** Closes the connection; call once Agenda is stopped. */
  close(): Promise<void>;
}

/** The store `MONGODB_URL` names, else PostgreSQL on the app's database. */
export const jobStoreSettings = (config: {
  mongodbUrl: string | undefined;
  databaseUrl: string;
  applicationName?: string;
}): JobStoreSettings =>
  config.mongodbUrl
    ? { kind: 'mongodb', url: config.mongodbUrl, applicationName: config.applicationName }
    : { kind: 'postgresql', connectionString: config.databaseUrl, applicationName: config.applicationName };

/** The database a MongoDB URL names (`mongodb://host/<db>?…`), if any. */
export const mongoDatabaseOf = (url: string): string | undefined => {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]+)/.exec(url);
  const name = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  return name === '' ? undefined : name;
};

const postgresStore = (settings: Extract<JobStoreSettings, { kind: 'postgresql' }>): JobStore => {
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.poolSize ?? 4,
    application_name: settings.applicationName ?? 'team-tracker-jobs',
    connectionTimeoutMillis: 5000,
  });
  pool.on('error', () => undefined); // an idle client lost its connection; the next query reconnects
  const backend = new PostgresBackend({
    pool,
    tableName: JOBS_TABLE,
    channelName: JOBS_TABLE,
    // The table comes from our migrations (schedulerMigrations): schedulers starting together would race to
    // create it, and Agenda's own set-up drops and recreates a trigger on every connect.
    ensureSchema: false,
  });
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgresql',
    backend,
    async ping() {
      await pool.query(`SELECT 1 FROM "${JOBS_TABLE}" LIMIT 1`);
    },
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
};

const mongoStore = (settings: Extract<JobStoreSettings, { kind: 'mongodb' }>): JobStore => {
  // No connection is made here: the driver connects on the first operation (Agenda's connect, or a ping).
  const client = new MongoClient(settings.url, {
    appName: settings.applicationName ?? 'team-tracker-jobs',
    serverSelectionTimeoutMS: settings.serverSelectionTimeoutMs ?? 5000,
  });
  const db = client.db(mongoDatabaseOf(settings.url) ?? DEFAULT_MONGO_DATABASE);
  const backend = new MongoBackend({ mongo: db, collection: JOBS_TABLE });
  let closed: Promise<void> | undefined;
  return {
    kind: 'mongodb',
    backend,
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => {
      closed ??= client.close();
      return closed;
    },
  };
};

export const createJobStore = (settings: JobStoreSettings): JobStore =>
  settings.kind === 'mongodb' ? mongoStore(settings) : postgresStore(settings);
