/**
 * An API process of its own, for tests that kill one: `node --import tsx test/support/api-process.ts` with
 * DATABASE_URL, JWT_SECRET and the settings below in its environment. It serves the REST API (no projector:
 * the test decides where projections run), prints `listening <port>` when it accepts requests, and dies however
 * the test wants it to (SIGKILL included).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import knexFactory from 'knex';
import pg from 'pg';
import pino from 'pino';
import { createInProcessBus } from '../../src/realtime/bus/in-process-bus';
import { buildSystem } from '../../src/system';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 5 } });
const pool = new pg.Pool({ connectionString: url, max: 5 });
pool.on('error', () => undefined);
const system = buildSystem({
  knex,
  pool,
  logger: pino({ level: 'silent' }),
  jwtSecret: process.env.JWT_SECRET ?? '',
  publisher: createInProcessBus(),
  passwordHashCost: 10,
  readYourWritesTimeoutMs: Number(process.env.READ_YOUR_WRITES_TIMEOUT_MS ?? 60_000),
  idempotencyLeaseMs: Number(process.env.IDEMPOTENCY_LEASE_MS ?? 1000),
});
const server = createServer(system.app);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
