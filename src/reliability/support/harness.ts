/**
 * What every reliability suite sets up and checks: a test database, the service's processes on it, the suite's
 * own connections (named `reliability-checker`, so outages spare them), the organization the writers work in, the
 * writers and readers, WebSocket clients resuming on each project, and a fold of the log kept for comparing the
 * read models. `check()` runs every check once the service has settled; `close()` takes it all down.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import knexFactory from 'knex';
import pg, { type Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { UPCASTERS } from '../../domain/upcasters';
import { PgEventStore } from '../../eventstore/postgres/pg-event-store';
import { upcasterChain } from '../../eventstore/upcasting';
import {
  type CheckResult,
  checkAppliedOnce,
  checkLedger,
  checkNotifications,
  checkReadModels,
  checkSockets,
  readWholeLog,
  settle,
} from './checks';
import { LogFold } from './read-models';
import { createService, type Role, type Service } from './service';
import { ResumingSocket } from './sockets';
import { Workload } from './workload';
import { type BuiltWorld, buildWorld } from './world';

/** The application name of the suites' own sessions: an outage made with pg_terminate_backend spares them. */
export const CHECKER = 'reliability-checker';

export interface HarnessOptions {
  /** Names the test database (`tt_<name>_…`) and the Redis prefix. */
  name: string;
  roles: readonly Role[];
  redisUrl?: string;
  /** The service's DATABASE_URL, when it must differ from the database's own (a proxy in front of it). */
  serviceDatabaseUrl?: (url: URL) => string;
  env?: Record<string, string>;
  writers: number;
  readers?: number;
  socketsPerProject: number;
  /** Where to say how long each step took (for the long form's output). */
  log?: (line: string) => void;
}

export interface Harness {
  database: TestDatabase;
  service: Service;
  pool: Pool;
  knex: Knex;
  store: PgEventStore;
  world: BuiltWorld;
  workload: Workload;
  sockets: ResumingSocket[];
  /** One more resuming client on a project (e.g. one that first connects during an outage). */
  addSocket(project: number): ResumingSocket;
  /** Waits for the service to settle, then runs every check; each result's failures say what broke. */
  check(): Promise<
    Record<'settled' | 'ledger' | 'readModels' | 'notifications' | 'appliedOnce' | 'sockets', CheckResult>
  >;
  /** Stops the clients and the processes and drops the database; returns the processes' own deaths. */
  close(): Promise<string[]>;
}

const JWT_SECRET = 'reliability-suites-secret-0123456789abcdef';

export const startHarness = async (options: HarnessOptions): Promise<Harness> => {
  const database = await createTestDatabase(`tt_${options.name.replace(/\W/g, '_')}`);
  const pool = new pg.Pool({ connectionString: database.url, max: 3, application_name: CHECKER });
  pool.on('error', () => undefined);
  const knex = knexFactory({
    client: 'pg',
    connection: { connectionString: database.url, application_name: CHECKER },
    pool: { min: 0, max: 3 },
  });
  const store = new PgEventStore({ pool, upcast: upcasterChain(UPCASTERS) });
  const service = await createService({
    databaseUrl: options.serviceDatabaseUrl?.(new URL(database.url)) ?? database.url,
    redisUrl: options.redisUrl,
    redisPrefix: `tt-${options.name}-${randomUUID()}:`,
    roles: options.roles,
    jwtSecret: JWT_SECRET,
    env: { READ_YOUR_WRITES_TIMEOUT_MS: '3000', ...options.env },
  });
  const sockets: ResumingSocket[] = [];
  let fold: LogFold | null = null;
  const close = async (): Promise<string[]> => {
    await Promise.all(sockets.map((s) => s.stop()));
    await service.kill();
    await fold?.close();
    await store.close();
    await pool.end();
    await knex.destroy();
    await database.drop();
    return service.crashes();
  };
  try {
    const starting = Date.now();
    await service.start();
    options.log?.(`service up (${options.roles.join(' + ')}): ${Date.now() - starting} ms`);
    const world = await buildWorld(service.apis[0]!, { staff: 2, rotating: 3, projects: 2 });
    // The processes may have answered before the projector was up: start the load from a settled service.
    const ready = await settle(knex, store);
    if (ready.failures.length > 0) throw new Error(ready.failures.join('; '));
    options.log?.(`world built and settled: ${Date.now() - starting} ms`);
    const workload = new Workload({
      apis: service.apis,
      world,
      writers: options.writers,
      readers: options.readers,
    });
    const addSocket = (project: number) => {
      const socket = new ResumingSocket({
        apis: service.apis,
        projectId: world.projects[project]!,
        token: world.staff[sockets.length % world.staff.length]!.token,
        since: world.projectPositions[project]!,
      });
      sockets.push(socket);
      socket.start();
      return socket;
    };
    for (const project of world.projects.keys())
      for (let n = 0; n < options.socketsPerProject; n++) addSocket(project);
    fold = await LogFold.create(store);
    const folded = fold;
    return {
      database,
      service,
      pool,
      knex,
      store,
      world,
      workload,
      sockets,
      addSocket,
      async check() {
        const empty: CheckResult = { failures: [], checked: 0 };
        const settling = Date.now();
        const settled = await settle(knex, store, 90_000, options.log);
        options.log?.(`  settled: ${Date.now() - settling} ms`);
        if (settled.failures.length > 0)
          return {
            settled,
            ledger: empty,
            readModels: empty,
            notifications: empty,
            appliedOnce: empty,
            sockets: empty,
          };
        const events = await readWholeLog(store);
        const timed = async (name: string, run: () => Promise<CheckResult>) => {
          const at = Date.now();
          const result = await run();
          options.log?.(`  ${name}: ${Date.now() - at} ms`);
          return result;
        };
        return {
          settled,
          ledger: await timed('ledger', () => checkLedger(pool, workload.ledger)),
          readModels: await timed('read models', () => checkReadModels(knex, folded)),
          notifications: await timed('notifications', () => checkNotifications(pool, events)),
          appliedOnce: await timed('applied once', () => checkAppliedOnce(pool, events)),
          sockets: await timed('sockets', () => checkSockets(pool, sockets)),
        };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};
