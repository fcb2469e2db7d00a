import type { Knex } from 'knex';
import type { ClientConfig } from 'pg';

/** What a dedicated `pg.Client` (advisory lock, LISTEN) is built from: a URL or a client config. */
export type PgConnection = string | ClientConfig;

/**
 * The connection settings of a knex instance, for the few sessions that must live outside its pool: a session
 * advisory lock and a LISTEN must stay on one connection, which a pool cannot promise.
 */
export const connectionOf = (knex: Knex): PgConnection => {
  const connection: unknown = knex.client.config.connection;
  if (typeof connection === 'string') return connection;
  if (connection && typeof connection === 'object') {
    const { pipeline: _pipeline, ...settings } = connection as ClientConfig & { pipeline?: boolean };
    // knex keeps the password as a non-enumerable property (out of logs), which a spread would drop. A dedicated
    // session runs one statement at a time: out of pipeline mode, in which `end()` would wait for a statement that
    // hangs (a lock's heartbeat) instead of closing the socket.
    const password = (connection as ClientConfig).password;
    return { ...settings, ...(password === undefined ? {} : { password }) };
  }
  throw new Error('knex has no static connection settings; pass `connection` explicitly');
};

/** Adds an application name (visible in pg_stat_activity), keeping the rest of the settings. */
export const withApplicationName = (connection: PgConnection, name: string): ClientConfig =>
  typeof connection === 'string'
    ? { connectionString: connection, application_name: name, keepAlive: true }
    : { ...connection, application_name: name, keepAlive: true };
