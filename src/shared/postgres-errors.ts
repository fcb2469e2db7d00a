/**
 * Whether an error from `pg` or knex means PostgreSQL cannot be reached or cannot serve now (connection refused or
 * cut, the server shutting down or starting, too many connections, a pool that cannot get a connection), as
 * opposed to an error in the request itself. The event store answers "unavailable" for these, the API `503`.
 */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Knex: Timeout acquiring a connection/i;

export const isPostgresUnavailable = (error: unknown): boolean => {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_CODES.has(e.code)))
    return true;
  return typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message);
};
