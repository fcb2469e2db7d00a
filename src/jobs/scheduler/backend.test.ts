/**
 * The job store's wiring: which store the configuration picks, and the MongoDB one as far as it can be checked with
 * no server (none runs on these machines: mongo.test.ts runs the scheduler on one when MONGODB_URL is set).
 */
import pino from 'pino';
import { createMigratedDatabase, type MigratedDatabase } from '../../../test/support/database';
import {
  createJobStore,
  DEFAULT_MONGO_DATABASE,
  JOBS_TABLE,
  jobStoreSettings,
  mongoDatabaseOf,
} from './backend';
import { createScheduler, JobStoreUnavailableError } from './scheduler';

const NOWHERE = 'mongodb://127.0.0.1:1/tt_jobs';

describe('the job store', () => {
  it('is MongoDB when MONGODB_URL is set, else PostgreSQL on the app database', () => {
    expect(jobStoreSettings({ mongodbUrl: 'mongodb://mongo/tt', databaseUrl: 'postgres://db/tt' })).toEqual({
      kind: 'mongodb',
      url: 'mongodb://mongo/tt',
      applicationName: undefined,
    });
    expect(jobStoreSettings({ mongodbUrl: undefined, databaseUrl: 'postgres://db/tt' })).toEqual({
      kind: 'postgresql',
      connectionString: 'postgres://db/tt',
      applicationName: undefined,
    });
  });

  it('reads the database a MongoDB URL names, if any', () => {
    expect(mongoDatabaseOf('mongodb://mongo:27017/team_tracker')).toBe('team_tracker');
    expect(mongoDatabaseOf('mongodb://u:p@a:1,b:2/jobs?replicaSet=rs0&authSource=admin')).toBe('jobs');
    expect(mongoDatabaseOf('mongodb+srv://cluster0.example.net/tt?retryWrites=true')).toBe('tt');
    expect(mongoDatabaseOf('mongodb://mongo:27017')).toBeUndefined();
    expect(mongoDatabaseOf('mongodb://mongo:27017/')).toBeUndefined();
    expect(mongoDatabaseOf('mongodb://mongo:27017/?authSource=admin')).toBeUndefined();
    expect(DEFAULT_MONGO_DATABASE).toBe('team_tracker');
  });

  describe('on MongoDB (no server here)', () => {
    it("hands Agenda its MongoDB backend over our own client, which Agenda's stop leaves open", async () => {
      const store = createJobStore({ kind: 'mongodb', url: NOWHERE, serverSelectionTimeoutMs: 200 });
      try {
        expect(store.kind).toBe('mongodb');
        expect(store.backend.name).toBe('MongoDB');
        expect(store.backend.ownsConnection).toBe(false);
        // MongoDB has no notifications: schedulers find due runs by polling.
        expect(store.backend.notificationChannel).toBeUndefined();
      } finally {
        await store.close();
      }
    });

    it('fails its ping fast when no server answers, and closes (twice) without one', async () => {
      const store = createJobStore({ kind: 'mongodb', url: NOWHERE, serverSelectionTimeoutMs: 200 });
      const began = Date.now();
      await expect(store.ping()).rejects.toThrow();
      expect(Date.now() - began).toBeLessThan(3000);
      await store.close();
      await store.close();
    });

    it('gives a scheduler that answers "unavailable", is not ready, and stops trying once closed', async () => {
      const warnings: unknown[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
      const scheduler = createScheduler({
        store: createJobStore({ kind: 'mongodb', url: NOWHERE, serverSelectionTimeoutMs: 100 }),
        logger,
        storeWaitMs: 300,
      });
      scheduler.define([{ name: 'cleanup', description: '', run: async () => undefined }]);
      await expect(scheduler.admin.list()).rejects.toBeInstanceOf(JobStoreUnavailableError);
      await expect(scheduler.admin.runNow('cleanup')).rejects.toThrow(
        /job store \(mongodb\) is not reachable/,
      );
      await expect(scheduler.ping()).rejects.toThrow(/not connected/);
      expect(warnings).toContainEqual(
        expect.objectContaining({ msg: 'job store unreachable; trying again', store: 'mongodb' }),
      );
      await scheduler.close();
      const seen = warnings.length;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(warnings.length).toBe(seen);
    });
  });

  describe('on PostgreSQL', () => {
    let db: MigratedDatabase;
    beforeAll(async () => {
      db = await createMigratedDatabase('tt_job_store');
    });
    afterAll(() => db.close());

    it('uses the table our migrations made, over a pool of its own, and pings it', async () => {
      const store = createJobStore({ kind: 'postgresql', connectionString: db.database.url });
      try {
        expect(store.backend.name).toBe('PostgreSQL');
        expect(store.backend.ownsConnection).toBe(false);
        expect(store.backend.notificationChannel).toBeDefined();
        await expect(store.ping()).resolves.toBeUndefined();
        const { rows } = await db.pool.query<{ found: string | null }>(
          `SELECT to_regclass($1)::text AS found`,
          [JOBS_TABLE],
        );
        expect(rows[0]!.found).toBe(JOBS_TABLE);
      } finally {
        await store.close();
      }
      await expect(store.ping()).rejects.toThrow();
    });
  });
});
