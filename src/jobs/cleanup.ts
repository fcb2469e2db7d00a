/**
 * The `cleanup` job: deletes what has expired, and nothing else.
 *
 * - idempotency keys whose `expires_at` has passed (a retry after that runs its command again under the same
 *   command id, which the event stream recognises);
 * - refresh tokens past their expiry (accounts' `purgeExpired`): a login is over once its last token expired;
 * - rate-limit counters whose window ended (PostgreSQL's; Redis expires its own);
 * - notifications read more than `NOTIFICATION_RETENTION_DAYS` ago. Unread ones stay, however old.
 *
 * Each kind is deleted on its own, in batches, so one large backlog neither holds a long transaction nor keeps
 * the others from going; a failure still fails the run (Agenda retries it), after the other kinds have run.
 */
import type { Knex } from 'knex';
import type { JobDefinition, JobRun } from './job';

export interface CleanupDeps {
  knex: Knex;
  /** Accounts' `SessionStore.purgeExpired`. */
  purgeExpiredRefreshTokens(before: Date): Promise<number>;
  /** The API's `purgeExpiredRateLimits` (the jobs part does not import the API: the composition root gives it). */
  purgeExpiredRateLimits(before: Date): Promise<number>;
  notificationRetentionDays: number;
  /** When it runs by itself (default: hourly, at 17 minutes past, UTC). */
  schedule?: JobDefinition['schedule'];
}

export const CLEANUP_JOB = 'cleanup';
const DAY_MS = 86_400_000;
/** Rows deleted per statement: keeps each transaction short on a large backlog. */
const BATCH = 5000;

/** Deletes the rows `where` selects, `BATCH` at a time; returns how many went. */
const deleteInBatches = async (
  knex: Knex,
  table: string,
  where: (query: Knex.QueryBuilder) => Knex.QueryBuilder,
  key: readonly string[],
): Promise<number> => {
  let total = 0;
  for (;;) {
    const batch = where(knex(table).select(...key)).limit(BATCH);
    const deleted = await knex(table)
      .whereIn([...key], batch)
      .delete();
    total += deleted;
    if (deleted < BATCH) return total;
  }
};

/** Idempotency keys (the API's table) whose answer is no longer kept. */
export const purgeExpiredIdempotencyKeys = (knex: Knex, before: Date): Promise<number> =>
  deleteInBatches(knex, 'idempotency_keys', (q) => q.where('expires_at', '<', before), ['scope', 'key']);

/**
 * Notifications read before `readBefore` (the notifications part's table, `notifications.read_at`). Unread ones
 * are never deleted. Until that table exists, there is nothing to delete: null.
 */
export const purgeReadNotifications = async (knex: Knex, readBefore: Date): Promise<number | null> => {
  const { rows } = await knex.raw<{ rows: { found: string | null }[] }>(
    "SELECT to_regclass('notifications')::text AS found",
  );
  if (!rows[0]?.found) return null;
  return deleteInBatches(
    knex,
    'notifications',
    (q) => q.whereNotNull('read_at').where('read_at', '<', readBefore),
    ['id'],
  );
};

/** What one cleanup run deleted, by kind (null: that kind's table does not exist here). */
export interface CleanupReport {
  idempotencyKeys: number;
  refreshTokens: number;
  rateLimits: number;
  readNotifications: number | null;
}

/** Runs every purge, each whatever the others did; the first failure is rethrown once all have run. */
export const runCleanup = async (deps: CleanupDeps, now: Date): Promise<CleanupReport> => {
  const readBefore = new Date(now.getTime() - deps.notificationRetentionDays * DAY_MS);
  const [idempotencyKeys, refreshTokens, rateLimits, readNotifications] = await Promise.allSettled([
    purgeExpiredIdempotencyKeys(deps.knex, now),
    deps.purgeExpiredRefreshTokens(now),
    deps.purgeExpiredRateLimits(now),
    purgeReadNotifications(deps.knex, readBefore),
  ] as const);
  const failed = [idempotencyKeys, refreshTokens, rateLimits, readNotifications].find(
    (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
  );
  if (failed) throw failed.reason;
  const value = <T>(outcome: PromiseSettledResult<T>): T => (outcome as PromiseFulfilledResult<T>).value;
  return {
    idempotencyKeys: value(idempotencyKeys),
    refreshTokens: value(refreshTokens),
    rateLimits: value(rateLimits),
    readNotifications: value(readNotifications),
  };
};

export const cleanupJob = (deps: CleanupDeps): JobDefinition => ({
  name: CLEANUP_JOB,
  description: `Deletes expired idempotency keys, refresh tokens and rate-limit counters, and notifications read more than ${deps.notificationRetentionDays} days ago`,
  schedule: deps.schedule ?? { cron: '17 * * * *' },
  async run({ now, logger }: JobRun) {
    const report = await runCleanup(deps, now);
    logger.info({ deleted: report }, 'cleanup done');
  },
});
