import type { Knex } from 'knex';
import { emailRecipients } from '../../accounts/preferences';
import { uuidv7 } from '../../commands/ids';
import type { StoredNotification } from '../notifications/model';

export interface OutboxOptions {
  /** Notifications reaching a user within this window of the first go out as one email. */
  windowMs: number;
  /** The writer's clock: the batch is due `windowMs` after it. */
  now: Date;
}

/**
 * Adds the notifications to their recipients' open email batches (opening one, due a window from now, where there
 * is none), in the caller's transaction: the outbox holds exactly the notifications that were recorded. Users who
 * turned email off get nothing here.
 */
export const enqueueEmails = async (
  trx: Knex.Transaction,
  notifications: readonly StoredNotification[],
  options: OutboxOptions,
): Promise<void> => {
  const recipients = await emailRecipients(
    trx,
    notifications.map((n) => n.recipientId),
  );
  const byRecipient = new Map<string, StoredNotification[]>();
  for (const n of notifications) {
    if (!recipients.get(n.recipientId)?.emailNotifications) continue;
    byRecipient.set(n.recipientId, [...(byRecipient.get(n.recipientId) ?? []), n]);
  }
  const dueAt = new Date(options.now.getTime() + options.windowMs);
  for (const [recipientId, items] of byRecipient) {
    // The no-op update locks the open batch until commit: a claim in progress either finished first (and the
    // insert opens a new batch) or skips this one until the items are in.
    const { rows } = await trx.raw<{ rows: { id: string }[] }>(
      `INSERT INTO email_batches (id, recipient_id, due_at) VALUES (?, ?, ?)
       ON CONFLICT (recipient_id) WHERE status = 'open' DO UPDATE SET recipient_id = excluded.recipient_id
       RETURNING id`,
      [uuidv7(), recipientId, dueAt],
    );
    const batchId = rows[0]!.id;
    await trx('email_batch_items')
      .insert(
        items.map((n) => ({
          batch_id: batchId,
          notification_id: n.id,
          seq: n.seq,
          kind: n.kind,
          issue_id: n.issueId,
          message: n.message,
          created_at: n.createdAt,
        })),
      )
      .onConflict(['batch_id', 'notification_id'])
      .ignore();
  }
};
