import type { Knex } from 'knex';
import { isUuid } from '../shared/uuid';
import { sqlMigration } from '../shared/sql-migration';

/** Whether a user gets their notifications by email too (on by default), beside their credentials. */
export const emailNotificationsMigration = sqlMigration(
  'ALTER TABLE user_credentials ADD COLUMN email_notifications boolean NOT NULL DEFAULT true',
  'ALTER TABLE user_credentials DROP COLUMN IF EXISTS email_notifications',
);

/** A user's choices about notifications. Not event-sourced: a preference is no business fact anyone replays. */
export interface NotificationPreferences {
  /** Null for an unknown user. */
  emailNotifications(userId: string): Promise<boolean | null>;
  /** False for an unknown user. */
  setEmailNotifications(userId: string, on: boolean): Promise<boolean>;
}

export const pgNotificationPreferences = (knex: Knex): NotificationPreferences => ({
  async emailNotifications(userId) {
    if (!isUuid(userId)) return null;
    const row = (await knex('user_credentials')
      .select('email_notifications')
      .where({ user_id: userId })
      .first()) as { email_notifications: boolean } | undefined;
    return row?.email_notifications ?? null;
  },
  async setEmailNotifications(userId, on) {
    if (!isUuid(userId)) return false;
    return (
      (await knex('user_credentials').where({ user_id: userId }).update({ email_notifications: on })) > 0
    );
  },
});

/** Where and whether to email a user: read by the jobs that write and send notification emails. */
export interface EmailRecipient {
  userId: string;
  username: string;
  email: string;
  emailNotifications: boolean;
}

/** The users among `userIds` that exist, by id (in the caller's transaction when given one). */
export const emailRecipients = async (
  db: Knex | Knex.Transaction,
  userIds: Iterable<string>,
): Promise<Map<string, EmailRecipient>> => {
  const ids = [...new Set(userIds)].filter(isUuid);
  if (ids.length === 0) return new Map();
  const rows = (await db('user_credentials')
    .select('user_id', 'username', 'email', 'email_notifications')
    .whereIn('user_id', ids)) as {
    user_id: string;
    username: string;
    email: string;
    email_notifications: boolean;
  }[];
  return new Map(
    rows.map((r) => [
      r.user_id,
      { userId: r.user_id, username: r.username, email: r.email, emailNotifications: r.email_notifications },
    ]),
  );
};
