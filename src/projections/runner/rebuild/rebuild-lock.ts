import type { Knex } from 'knex';
import { Client } from 'pg';
import { type PgConnection, withApplicationName } from '../pg-connection';

export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError';
}

/**
 * One rebuild per projection at a time, across processes: a session advisory lock on a dedicated connection,
 * freed by PostgreSQL if the rebuilding process dies. Throws when another session holds it.
 */
export const takeRebuildLock = async (
  connection: PgConnection,
  projection: string,
): Promise<() => Promise<void>> => {
  const client = new Client(withApplicationName(connection, `tt-rebuild-${projection}`.slice(0, 63)));
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
      [`tt_rebuild:${projection}`],
    );
    if (!rows[0]?.ok) throw new RebuildInProgressError(`a rebuild of ${projection} is already running`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  // Ending the session releases the lock.
  return () => client.end().catch(() => undefined);
};

/**
 * Which of the projections some session is rebuilding now (holds its rebuild lock), read from `pg_locks` without
 * taking anything: a try-and-release would make a rebuild starting at that instant fail. A bigint advisory key
 * shows as `classid` (high 32 bits) and `objid` (low 32 bits) with `objsubid` 1.
 */
export const rebuildsRunning = async (
  db: { raw: Knex['raw'] },
  projections: readonly string[],
): Promise<Set<string>> => {
  if (projections.length === 0) return new Set();
  const { rows } = await db.raw<{ rows: { name: string }[] }>(
    `SELECT n AS name FROM jsonb_array_elements_text(?::jsonb) AS n
     WHERE EXISTS (
       SELECT 1 FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('tt_rebuild:' || n, 0))`,
    [JSON.stringify(projections)],
  );
  return new Set(rows.map((r) => r.name));
};
