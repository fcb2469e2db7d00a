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
