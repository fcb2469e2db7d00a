import type { Knex } from 'knex';
import type { Publisher } from '../../projections/projection';
import type { JobDefinition } from '../job';
import { type NotificationDraft, notificationMessage, type StoredNotification } from '../notifications/model';
import { recordNotifications } from '../notifications/record';
import { texts } from '../notifications/texts';

export const DEFAULT_OVERDUE_REMINDER_CRON = '0 8 * * *';

export interface OverdueRemindersOptions {
  knex: Knex;
  /** The realtime bus: reminders go to their users' rooms once recorded. */
  publisher: Publisher;
  /** When it runs (UTC). */
  cron: string;
  /** Set when email is configured: reminders are emailed too. */
  email?: { batchWindowMs: number };
  /** Issues reminded per transaction. */
  pageSize?: number;
}

interface Overdue {
  id: string;
  project_id: string;
  organization_id: string;
  title: string;
  key: string | null;
  due: string;
  assignee_id: string;
}

/** The run's day, in UTC: what "once per day" counts. */
export const reminderDay = (now: Date): string => now.toISOString().slice(0, 10);

/**
 * Overdue issues not yet reminded today: due before today, not done, assigned to someone who is still a member
 * (a read model query at a moment, not a reaction to the log).
 */
const overdueNotReminded = async (trx: Knex.Transaction, day: string, limit: number): Promise<Overdue[]> => {
  const { rows } = await trx.raw<{ rows: Overdue[] }>(
    `SELECT i.id, i.project_id, i.organization_id, i.title, i.key, to_char(i.due_date, 'YYYY-MM-DD') AS due,
       i.assignee_id
     FROM issues i
     JOIN memberships m ON m.organization_id = i.organization_id AND m.user_id = i.assignee_id
     WHERE i.due_date < ?::date AND i.status <> 'done' AND i.assignee_id IS NOT NULL
       AND NOT EXISTS (
         SELECT 1 FROM notifications n
         WHERE n.kind = 'issue.overdue' AND n.issue_id = i.id AND n.reminder_date = ?::date)
     ORDER BY i.due_date, i.id
     LIMIT ?`,
    [day, day, limit],
  );
  return rows;
};

/**
 * `overdue-reminders`: reminds the assignee of each issue past its due date and not done, once per issue and day
 * (the run's day in UTC, from the scheduler's clock), in the app and by email. Runs of the same day serialize on
 * an advisory lock and each skips what the others recorded, so a retried or repeated run reminds no one twice.
 */
export const overdueRemindersJob = (options: OverdueRemindersOptions): JobDefinition => ({
  name: 'overdue-reminders',
  description: 'Reminds assignees of overdue issues, once per issue and day',
  schedule: { cron: options.cron },
  async run(run) {
    const day = reminderDay(run.now);
    const pageSize = options.pageSize ?? 500;
    let total = 0;
    for (;;) {
      const stored = await options.knex.transaction(async (trx): Promise<StoredNotification[]> => {
        await trx.raw("SELECT pg_advisory_xact_lock(hashtext('tt_overdue_reminders'))");
        const overdue = await overdueNotReminded(trx, day, pageSize);
        const drafts: NotificationDraft[] = overdue.map((i) => ({
          recipientId: i.assignee_id,
          kind: 'issue.overdue',
          issueId: i.id,
          projectId: i.project_id,
          organizationId: i.organization_id,
          message: texts.overdue({ key: i.key, title: i.title }, i.due),
          actorId: null,
          createdAt: run.now.toISOString(),
          reminderDate: day,
        }));
        return recordNotifications(trx, drafts, {
          now: run.now,
          ...(options.email ? { email: { windowMs: options.email.batchWindowMs } } : {}),
        });
      });
      total += stored.length;
      if (stored.length > 0) {
        await options.publisher.publish(stored.map(notificationMessage)).catch((error: unknown) => {
          // Sockets resume from the notifications table: a lost push is recovered on the next gap or reconnect.
          run.logger.warn({ err: error }, 'overdue-reminders: publishing failed');
        });
      }
      if (stored.length < pageSize) break;
    }
    if (total > 0) run.logger.info({ day, reminded: total }, 'overdue-reminders: assignees reminded');
  },
});
