/** Running the system's jobs as the scheduler would, and reading what they and the reactions left. */
import pino from 'pino';
import { uuidv7 } from '../../src/commands/ids';
import type { JobDefinition } from '../../src/jobs/job';
import { recordNotifications } from '../../src/jobs/notifications/record';
import type { TestApi, TestUser } from './api';
import { expectStatus } from './http';

export const jobNamed = (api: TestApi, name: string): JobDefinition => {
  const job = api.system.jobs.find((j) => j.name === name);
  if (!job) throw new Error(`no job ${name} (jobs: ${api.system.jobs.map((j) => j.name).join(', ')})`);
  return job;
};

/** One run of the job, as the scheduler starts it: a run id, the time, a logger. */
export const runJob = (api: TestApi, name: string, now: Date = new Date()): Promise<void> =>
  jobNamed(api, name).run({ runId: uuidv7(), now, logger: pino({ level: 'silent' }) });

export interface NotificationItem {
  id: string;
  kind: string;
  issue: string | null;
  project: string | null;
  message: string;
  created_at: string;
  read_at: string | null;
}

/**
 * The user's notifications (first page, newest first) once the reactions have reached `position` (a command's
 * `X-Position`), or as they are now.
 */
export const notificationsOf = async (
  api: TestApi,
  user: TestUser,
  options: { position?: string; query?: string } = {},
): Promise<NotificationItem[]> => {
  const params = new URLSearchParams(options.query ?? '');
  if (options.position) params.set('min_position', options.position);
  const res = await api.http.get(`/api/v1/notifications/?${params}`).set(user.auth);
  expectStatus(res, 200);
  return res.body.results as NotificationItem[];
};

/** A member's removal from an organization: its event id and, per issue, how many times it was released on its account. */
export const releasesOf = async (api: TestApi, organizationId: string, userId: string) => {
  const removal = await api.pool.query<{ event_id: string }>(
    `SELECT event_id::text FROM events WHERE type = 'MemberRemoved'
     AND data->>'organizationId' = $1 AND data->>'userId' = $2`,
    [organizationId, userId],
  );
  const eventId = removal.rows[0]?.event_id;
  const { rows } = await api.pool.query<{ issue: string; n: string }>(
    `SELECT data->>'issueId' AS issue, count(*)::text AS n FROM events
     WHERE type = 'IssueUnassigned' AND metadata->>'causationId' = $1 GROUP BY 1`,
    [eventId ?? ''],
  );
  return { eventId, released: new Map(rows.map((r) => [r.issue, Number(r.n)])) };
};

/**
 * Records a notification for the user directly, as the reactions would (for tests of the notification endpoints
 * that need one of any user's, whatever organizations they are in); returns its id.
 */
export const giveNotification = async (api: TestApi, recipientId: string): Promise<string> => {
  const now = new Date();
  const [stored] = await api.knex.transaction((trx) =>
    recordNotifications(
      trx,
      [
        {
          recipientId,
          kind: 'issue.overdue',
          issueId: uuidv7(),
          projectId: null,
          organizationId: null,
          message: 'A test notification',
          actorId: null,
          createdAt: now.toISOString(),
          reminderDate: now.toISOString().slice(0, 10),
        },
      ],
      { now },
    ),
  );
  if (!stored) throw new Error('the notification was not recorded');
  return stored.id;
};
