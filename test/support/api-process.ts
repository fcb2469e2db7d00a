/**
 * An API process of its own, for tests that kill one: `node --import tsx test/support/api-process.ts` with
 * DATABASE_URL, JWT_SECRET and the settings below in its environment. It serves the REST API (no projector:
 * the test decides where projections run), prints `listening <port>` when it accepts requests, and dies however
 * the test wants it to (SIGKILL included).
 *
 * Optionally it also runs the reactor (`RUN_REACTOR=1`) and, standing in for the scheduler, every job of the
 * system every `RUN_JOBS_EVERY_MS`; `JOB_LEASE_MS` shortens the jobs' leases, `APPLICATION_NAME` names its
 * PostgreSQL sessions (so a test can find and end them).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import knexFactory from 'knex';
import pg from 'pg';
import pino from 'pino';
import { uuidv7 } from '../../src/commands/ids';
import { createInProcessBus } from '../../src/realtime/bus/in-process-bus';
import { PipelinedPostgres, pipelined } from '../../src/platform/pipelined';
import { buildSystem } from '../../src/system';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const applicationName = process.env.APPLICATION_NAME ?? 'api-process';
const knex = knexFactory({
  client: PipelinedPostgres,
  connection: pipelined({ connectionString: url, application_name: applicationName }),
  pool: { min: 0, max: 5 },
});
const pool = new pg.Pool({ connectionString: url, max: 5, application_name: applicationName });
pool.on('error', () => undefined);
const logger = pino({ level: 'silent' });
const system = buildSystem({
  knex,
  pool,
  logger,
  jwtSecret: process.env.JWT_SECRET ?? '',
  publisher: createInProcessBus(),
  passwordHashCost: 10,
  readYourWritesTimeoutMs: Number(process.env.READ_YOUR_WRITES_TIMEOUT_MS ?? 60_000),
  idempotencyLeaseMs: Number(process.env.IDEMPOTENCY_LEASE_MS ?? 1000),
  ...(process.env.JOB_LEASE_MS ? { jobLeaseMs: Number(process.env.JOB_LEASE_MS) } : {}),
});
if (process.env.RUN_REACTOR === '1') system.reactor.start();
const every = Number(process.env.RUN_JOBS_EVERY_MS ?? 0);
if (every > 0) {
  // One run of each job at a time, as the scheduler's locking would allow.
  const running = new Set<string>();
  setInterval(() => {
    for (const job of system.jobs) {
      if (running.has(job.name)) continue;
      running.add(job.name);
      job
        .run({ runId: uuidv7(), now: new Date(), logger })
        .catch(() => undefined)
        .finally(() => running.delete(job.name));
    }
  }, every);
}
const server = createServer(system.app);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
