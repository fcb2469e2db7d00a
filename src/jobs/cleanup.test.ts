import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createMigratedDatabase, type MigratedDatabase } from '../../test/support/database';
import { pgSessionStore } from '../accounts/sessions';
import { purgeExpiredRateLimits } from '../api/rate-limits';
import { migrations } from '../migrations';
import { CLEANUP_JOB, type CleanupDeps, cleanupJob, purgeReadNotifications, runCleanup } from './cleanup';
import { notificationsMigration } from './notifications/migration';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every part's tables, and the notifications table even while `src/migrations.ts` does not list it yet. */
const withNotifications = () =>
  migrations.some(([name]) => name.includes('notifications'))
    ? migrations
    : [...migrations, ['0301_jobs_notifications', notificationsMigration] as const];

describe('the cleanup job', () => {
  let db: MigratedDatabase;
  let deps: CleanupDeps;
  const now = new Date();
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);

  beforeAll(async () => {
    db = await createMigratedDatabase('tt_cleanup', { migrations: withNotifications() });
    deps = {
      knex: db.knex,
      purgeExpiredRefreshTokens: (before) => pgSessionStore(db.knex, { ttlSeconds: 60 }).purgeExpired(before),
      purgeExpiredRateLimits: (before) => purgeExpiredRateLimits(db.knex, before),
      notificationRetentionDays: 30,
    };
  });
  afterAll(() => db.close());

  const idempotencyKey = (key: string, expiresAt: Date) => ({
    scope: 'user',
    key,
    fingerprint: 'f',
    status: 201,
    body: '{}',
    expires_at: expiresAt,
  });
  const refreshToken = (hash: string, expiresAt: Date) => ({
    token_hash: hash,
    family_id: randomUUID(),
    user_id: randomUUID(),
    expires_at: expiresAt,
  });
  const notification = (seq: number, readAt: Date | null, createdAt: Date) => ({
    id: randomUUID(),
    recipient_id: '00000000-0000-7000-8000-000000000001',
    seq,
    kind: 'issue.assigned',
    message: `notification ${seq}`,
    created_at: createdAt,
    read_at: readAt,
  });
  const keys = async (table: string, column: string) =>
    ((await db.knex(table).select(column).orderBy(column)) as Record<string, unknown>[]).map((r) =>
      String(r[column]),
    );

  it('deletes only what has expired, of every kind, and says how many went', async () => {
    await db
      .knex('idempotency_keys')
      .insert([idempotencyKey('expired', at(-HOUR)), idempotencyKey('kept', at(HOUR))]);
    await db
      .knex('refresh_tokens')
      .insert([refreshToken('expired', at(-1000)), refreshToken('kept', at(DAY))]);
    await db.knex('rate_limits').insert([
      { key: 'ended', hits: 3, reset_at: at(-1000) },
      { key: 'current', hits: 3, reset_at: at(15 * 60_000) },
    ]);
    await db.knex('notifications').insert([
      notification(1, at(-31 * DAY), at(-40 * DAY)), // read long ago: goes
      notification(2, at(-29 * DAY), at(-40 * DAY)), // read within the retention: stays
      notification(3, null, at(-400 * DAY)), // never read, however old: stays
      notification(4, at(-HOUR), at(-DAY)), // read recently: stays
    ]);

    const report = await runCleanup(deps, now);

    expect(report).toEqual({ idempotencyKeys: 1, refreshTokens: 1, rateLimits: 1, readNotifications: 1 });
    expect(await keys('idempotency_keys', 'key')).toEqual(['kept']);
    expect(await keys('refresh_tokens', 'token_hash')).toEqual(['kept']);
    expect(await keys('rate_limits', 'key')).toEqual(['current']);
    expect(await keys('notifications', 'seq')).toEqual(['2', '3', '4']);

    // A second run finds nothing more to delete.
    expect(await runCleanup(deps, now)).toEqual({
      idempotencyKeys: 0,
      refreshTokens: 0,
      rateLimits: 0,
      readNotifications: 0,
    });
  });

  it('keeps read notifications for as many days as it is told', async () => {
    await db.knex('notifications').insert(notification(5, at(-3 * DAY), at(-4 * DAY)));
    expect(await runCleanup({ ...deps, notificationRetentionDays: 60 }, now)).toMatchObject({
      readNotifications: 0,
    });
    expect(await runCleanup({ ...deps, notificationRetentionDays: 2 }, now)).toMatchObject({
      readNotifications: 2, // seq 4 (read an hour ago) stays; 2 (29 days) and 5 (3 days) go
    });
    expect(await keys('notifications', 'seq')).toEqual(['3', '4']);
  });

  it('deletes a large backlog in batches', async () => {
    const rows = Array.from({ length: 12_001 }, (_, i) => idempotencyKey(`old-${i}`, at(-DAY)));
    for (let i = 0; i < rows.length; i += 2000)
      await db.knex('idempotency_keys').insert(rows.slice(i, i + 2000));
    expect((await runCleanup(deps, now)).idempotencyKeys).toBe(12_001);
    expect(await keys('idempotency_keys', 'key')).toEqual(['kept']);
  });

  it('runs every purge even when one fails, then fails the run so that it is retried', async () => {
    await db.knex('rate_limits').insert({ key: 'ended-again', hits: 1, reset_at: at(-1000) });
    const failing = { ...deps, purgeExpiredRefreshTokens: () => Promise.reject(new Error('sessions down')) };
    await expect(runCleanup(failing, now)).rejects.toThrow('sessions down');
    expect(await keys('rate_limits', 'key')).toEqual(['current']);
  });

  it('is the job named cleanup, hourly by default, and logs what it deleted', async () => {
    const job = cleanupJob(deps);
    expect(job).toMatchObject({ name: CLEANUP_JOB, schedule: { cron: '17 * * * *' } });
    expect(job.description).toMatch(/30 days/);
    const lines: unknown[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    await job.run({ runId: 'run-1', now, logger });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'cleanup done',
        deleted: { idempotencyKeys: 0, refreshTokens: 0, rateLimits: 0, readNotifications: 0 },
      }),
    );
  });

  it('leaves read notifications alone where their table does not exist (null, not a failure)', async () => {
    const bare = await createMigratedDatabase('tt_cleanup_bare', {
      migrations: migrations.filter(([name]) => !name.includes('notifications')),
    });
    try {
      expect(await purgeReadNotifications(bare.knex, now)).toBeNull();
    } finally {
      await bare.close();
    }
  });
});
