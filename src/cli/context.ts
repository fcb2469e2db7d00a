/**
 * What the command-line tool works with: the database at `DATABASE_URL` (or, unset, the embedded PostgreSQL that
 * `npm start` runs from `DATA_DIR`), the event log (EventStoreDB when `EVENTSTORE_CONNECTION_STRING` is set), the
 * credentials and the commands. Built from the configuration like the app's, but without the API, the projector
 * or the scheduler: it works while they are down.
 */
import { hostname, userInfo } from 'node:os';
import type { Knex } from 'knex';
import type { Pool } from 'pg';
import type { CredentialStore } from '../accounts/credentials';
import { scryptHasher } from '../accounts/password';
import { pgCredentialStore } from '../accounts/pg-credential-store';
import { type Commands, createCommands } from '../commands';
import { uuidv7 } from '../commands/ids';
import { UPCASTERS } from '../domain/upcasters';
import { connectEsdb } from '../eventstore/esdb/esdb-event-store';
import type { EventStore } from '../eventstore/port';
import { PgEventStore } from '../eventstore/postgres/pg-event-store';
import { upcasterChain } from '../eventstore/upcasting';
import type { Config } from '../platform/config';
import { readSettings } from '../platform/embedded-postgres-settings';
import { createPostgresClients } from '../platform/postgres';
import { membershipCount } from '../projections/organizations/queries';
import { CliFailure } from './command';

export interface CliContext {
  config: Config;
  knex: Knex;
  pool: Pool;
  store: EventStore;
  credentials: CredentialStore;
  commands: Commands;
  /** The correlation id of everything this run records. */
  correlationId: string;
  /** Who ran the tool, for the records of what it did: `<os user>@<host>`. */
  operator: string;
  close(): Promise<void>;
}

/** A container may run as a user with no name. */
const osUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
};

/** The embedded database's URL, as `npm start` made it: only while that PostgreSQL runs does it answer. */
const embeddedUrl = async (dataDir: string): Promise<string | null> => {
  const settings = await readSettings(dataDir).catch(() => undefined);
  if (!settings?.port) return null;
  return `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/team_tracker`;
};

const databaseUrl = async (config: Config): Promise<string> => {
  if (config.databaseUrl) return config.databaseUrl;
  const embedded = await embeddedUrl(config.dataDir);
  if (embedded) return embedded;
  throw new CliFailure(
    `DATABASE_URL is not set, and ${config.dataDir} holds no embedded PostgreSQL of \`npm start\`: ` +
      'set DATABASE_URL to the database of the deployment',
  );
};

/** Connects and checks that the database answers and has the app's tables, saying what to do when not. */
const check = async (knex: Knex, url: string, embedded: boolean): Promise<void> => {
  try {
    await knex.raw('SELECT 1 FROM projection_checkpoints LIMIT 1');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const where = new URL(url).host;
    if (code === '42P01')
      throw new CliFailure(
        `the database at ${where} has no tables yet: run \`npm run migrate\` (or start the app once)`,
      );
    throw new CliFailure(
      `cannot reach PostgreSQL at ${where}: ${(error as Error).message}` +
        (embedded ? ' (the embedded PostgreSQL runs only while `npm start` does; or set DATABASE_URL)' : ''),
    );
  }
};

export const connect = async (config: Config): Promise<CliContext> => {
  const url = await databaseUrl(config);
  const clients = createPostgresClients(url, { poolSize: 4, applicationName: 'team-tracker-cli' });
  try {
    await check(clients.knex, url, !config.databaseUrl);
  } catch (error) {
    await clients.close();
    throw error;
  }
  const upcast = upcasterChain(UPCASTERS);
  const store = config.eventStoreConnectionString
    ? connectEsdb(config.eventStoreConnectionString, { upcast })
    : new PgEventStore({ pool: clients.pool, upcast });
  const credentials = pgCredentialStore(clients.knex);
  const commands = createCommands({
    store,
    credentials,
    hasher: scryptHasher(config.passwordHashCost),
    memberships: { count: (userId) => membershipCount(clients.knex, userId), limit: config.membershipLimit },
    options: { maxRetries: config.commandRetries },
  });
  return {
    config,
    knex: clients.knex,
    pool: clients.pool,
    store,
    credentials,
    commands,
    correlationId: `cli:${uuidv7()}`,
    operator: `${osUser()}@${hostname()}`,
    async close() {
      await store.close();
      await clients.close();
    },
  };
};
