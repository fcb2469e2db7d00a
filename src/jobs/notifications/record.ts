import type { Knex } from 'knex';
import { uuidv7 } from '../../commands/ids';
import { enqueueEmails } from '../email/outbox';
import type { NotificationDraft, StoredNotification } from './model';

export interface RecordOptions {
  /** Set when email is configured: the notifications also go to their recipients' email outboxes. */
  email?: { windowMs: number };
  /** The writer's clock (email batches are due a window after it). */
  now: Date;
}

/** Whether the notification was recorded before (the same event, recipient and kind; or the same issue and day). */
const recordedBefore = async (trx: Knex.Transaction, draft: NotificationDraft): Promise<boolean> => {
  const query = trx('notifications').select(trx.raw('1'));
  if (draft.event)
    query.where({ event_id: draft.event.id, recipient_id: draft.recipientId, kind: draft.kind });
  else if (draft.reminderDate !== undefined)
    query.where({ issue_id: draft.issueId, reminder_date: draft.reminderDate, kind: draft.kind });
  else return false;
  return (await query.first()) !== undefined;
};

/**
 * The recipient's next inbox number. The inbox row stays locked until the transaction ends, so one recipient's
 * notifications are numbered in the order they commit, whoever records them.
 */
const nextSeq = async (trx: Knex.Transaction, recipientId: string): Promise<number> => {
  const { rows } = await trx.raw<{ rows: { last_seq: string }[] }>(
    `INSERT INTO notification_inboxes AS i (recipient_id, last_seq) VALUES (?, 1)
     ON CONFLICT (recipient_id) DO UPDATE SET last_seq = i.last_seq + 1
     RETURNING last_seq`,
    [recipientId],
  );
  return Number(rows[0]!.last_seq);
};

/**
 * Records notifications in the caller's transaction, skipping those recorded before, and queues their emails;
 * returns the ones it recorded, for the caller to publish once the transaction committed.
 */
export const recordNotifications = async (
  trx: Knex.Transaction,
  drafts: readonly NotificationDraft[],
  options: RecordOptions,
): Promise<StoredNotification[]> => {
  const stored: StoredNotification[] = [];
  for (const draft of drafts) {
    if (await recordedBefore(trx, draft)) continue;
    const seq = await nextSeq(trx, draft.recipientId);
    const id = uuidv7(Date.parse(draft.createdAt) || Date.now());
    const { rows } = await trx.raw<{ rows: unknown[] }>(
      `INSERT INTO notifications (id, recipient_id, seq, kind, issue_id, project_id, organization_id, message,
         actor_id, event_id, event_position, reminder_date, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [
        id,
        draft.recipientId,
        seq,
        draft.kind,
        draft.issueId,
        draft.projectId,
        draft.organizationId,
        draft.message,
        draft.actorId,
        draft.event?.id ?? null,
        draft.event?.position ?? null,
        draft.reminderDate ?? null,
        draft.createdAt,
      ],
    );
    // A concurrent writer recorded it first (its number stays unused: a gap a socket reads past).
    if (rows.length === 0) continue;
    stored.push({ ...draft, id, seq, readAt: null });
  }
  if (options.email && stored.length > 0)
    await enqueueEmails(trx, stored, { windowMs: options.email.windowMs, now: options.now });
  return stored;
};
