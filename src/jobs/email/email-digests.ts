import type { Knex } from 'knex';
import { emailRecipients } from '../../accounts/preferences';
import type { JobDefinition, JobRun } from '../job';
import { type DigestItem, renderDigest } from './digest';
import type { Mailer } from './mailer';

export interface EmailDigestsOptions {
  knex: Knex;
  mailer: Mailer;
  /** The From: address. */
  from: string;
  /** Where users reach the app: links in emails start with it. */
  publicUrl: string;
  /** How long a run holds a claimed batch before another run may take it over; also the first retry's delay. */
  leaseMs: number;
  /** Attempts before a batch is given up as failed. */
  maxAttempts?: number;
  /** Batches claimed at a time. */
  claimSize?: number;
}

interface Claimed {
  id: string;
  recipient_id: string;
  attempts: number;
}

/**
 * Claims batches whose window has passed (and batches whose lease ran out: a run that died, a failure whose retry
 * is due). `FOR UPDATE SKIP LOCKED` with the status change makes each batch one run's at a time, however many
 * schedulers run the job at once; a batch the reactor is adding to (its row locked) waits for the next run.
 */
const claim = async (knex: Knex, run: JobRun, options: EmailDigestsOptions): Promise<Claimed[]> => {
  const { rows } = await knex.raw<{ rows: Claimed[] }>(
    `UPDATE email_batches b
     SET status = 'sending', lease_owner = ?, lease_until = now() + ? * interval '1 millisecond',
         attempts = b.attempts + 1
     WHERE b.id IN (
       SELECT id FROM email_batches
       WHERE (status = 'open' AND due_at <= ?) OR (status = 'sending' AND lease_until <= now())
       ORDER BY due_at, id
       LIMIT ?
       FOR UPDATE SKIP LOCKED)
     RETURNING b.id, b.recipient_id, b.attempts`,
    [run.runId, options.leaseMs, run.now, options.claimSize ?? 20],
  );
  return rows;
};

/** Ends a claimed batch; false when the run no longer held it (its lease ran out and another run took it). */
const finish = async (
  knex: Knex,
  run: JobRun,
  batch: Claimed,
  status: 'sent' | 'skipped' | 'failed',
  error?: string,
): Promise<boolean> =>
  (await knex('email_batches')
    .where({ id: batch.id, lease_owner: run.runId })
    .update({
      status,
      finished_at: knex.fn.now(),
      lease_owner: null,
      lease_until: null,
      last_error: error ?? null,
    })) > 0;

/** Gives a failed batch back, to be claimed again after a backoff that doubles with each attempt (at most 1 h). */
const retryLater = async (knex: Knex, run: JobRun, batch: Claimed, leaseMs: number, error: string) => {
  const delayMs = Math.min(leaseMs * 2 ** Math.max(0, batch.attempts - 1), 3_600_000);
  await knex('email_batches')
    .where({ id: batch.id, lease_owner: run.runId })
    .update({
      lease_owner: null,
      lease_until: knex.raw("now() + ? * interval '1 millisecond'", [delayMs]),
      last_error: error,
    });
};

/** Sends one claimed batch (or skips it: the user turned email off meanwhile, or is gone). */
const deliver = async (options: EmailDigestsOptions, run: JobRun, batch: Claimed): Promise<void> => {
  const { knex } = options;
  const recipient = (await emailRecipients(knex, [batch.recipient_id])).get(batch.recipient_id);
  const items = (
    (await knex('email_batch_items').where({ batch_id: batch.id }).orderBy('seq')) as {
      kind: string;
      issue_id: string | null;
      message: string;
      created_at: Date;
    }[]
  ).map(
    (r): DigestItem => ({ kind: r.kind, issueId: r.issue_id, message: r.message, createdAt: r.created_at }),
  );
  if (!recipient?.emailNotifications || items.length === 0) {
    await finish(knex, run, batch, 'skipped');
    return;
  }
  const digest = renderDigest({ username: recipient.username, publicUrl: options.publicUrl, items });
  await options.mailer.send({
    from: options.from,
    to: recipient.email,
    ...digest,
    messageId: `<${batch.id}@team-tracker>`,
  });
  if (!(await finish(knex, run, batch, 'sent')))
    run.logger.warn({ batch: batch.id }, 'email-digests: a batch was sent after its lease ran out');
};

/**
 * `email-digests`: sends each user's batched notifications as one email once the batch's window has passed. A
 * batch is claimed with a lease before it is sent and marked sent right after, so several schedulers never send
 * the same batch; a run that dies between sending and marking leaves it to be sent again when the lease runs out
 * (at least once, with the same Message-ID). Failures are retried with backoff, then given up.
 */
export const emailDigestsJob = (options: EmailDigestsOptions): JobDefinition => ({
  name: 'email-digests',
  description: 'Sends notification emails, one per user and batching window',
  schedule: { every: '10 seconds' },
  // Its work is leased in its own table: a killed scheduler's lock should hold it up for seconds only.
  lockLifetimeMs: 30_000,
  async run(run) {
    const maxAttempts = options.maxAttempts ?? 8;
    const failures: string[] = [];
    let sent = 0;
    for (;;) {
      const claimed = await claim(options.knex, run, options);
      if (claimed.length === 0) break;
      for (const batch of claimed) {
        try {
          await deliver(options, run, batch);
          sent += 1;
        } catch (error) {
          const message = (error as Error).message ?? String(error);
          failures.push(message);
          if (batch.attempts >= maxAttempts) await finish(options.knex, run, batch, 'failed', message);
          else await retryLater(options.knex, run, batch, options.leaseMs, message);
        }
      }
    }
    if (sent > 0) run.logger.info({ sent }, 'email-digests: emails sent');
    if (failures.length > 0)
      throw new Error(`email-digests: ${failures.length} email(s) could not be sent: ${failures[0]}`);
  },
});
