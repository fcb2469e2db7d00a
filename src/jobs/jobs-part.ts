/**
 * The jobs part as the composition root builds it: the reactor (the reactions to the log) and the job definitions
 * the scheduler runs, over the ports they need. Nothing here starts anything: roles start the reactor, the
 * scheduler runs the jobs.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Commands } from '../commands';
import { uuidv7 } from '../commands/ids';
import type { EventStore, Position } from '../eventstore/port';
import type { Publisher } from '../projections/projection';
import { createPositionWaiter, type PositionWaiter } from '../projections/runner/position-waiter';
import { emailDigestsJob } from './email/email-digests';
import { type Mailer, smtpMailer } from './email/mailer';
import type { Clock, JobDefinition } from './job';
import { labelRemovalsJob } from './label-removals/label-removals-job';
import { LABEL_REMOVALS_JOB, labelRemovalsReaction } from './label-removals/reaction';
import { memberRemovalsJob } from './member-removals/member-removals-job';
import { MEMBER_REMOVALS_JOB, memberRemovalsReaction } from './member-removals/reaction';
import { notificationsReaction } from './notifications/reaction';
import { DEFAULT_OVERDUE_REMINDER_CRON, overdueRemindersJob } from './overdue/overdue-reminders-job';
import { reactionCheckpoint } from './reactor/reaction';
import { createReactor, REACTIONS_CHANNEL, type Reactor } from './reactor/reactor';

/** Email notifications: set only when `SMTP_URL` is. */
export interface EmailSettings {
  smtpUrl: string;
  /** The From: address. */
  from: string;
  /** Where users reach the app: links in emails start with it. */
  publicUrl: string;
  /** Notifications reaching a user within this window of the first go out as one email. */
  batchWindowMs: number;
}

export interface JobsPartOptions {
  store: EventStore;
  knex: Knex;
  logger: Logger;
  publisher: Publisher;
  commands: Commands;
  /** The read models' waiter: the member-removal process waits for a removal to reach them. */
  readModels: { waitFor(position: Position, timeoutMs: number): Promise<boolean> };
  readModelsTimeoutMs: number;
  clock: Clock;
  email?: EmailSettings;
  /** Overrides the SMTP mailer `email.smtpUrl` names (tests). */
  mailer?: Mailer;
  overdueReminderCron?: string;
  /** How long a run holds a claimed email batch or member removal before another run may take it over. */
  leaseMs: number;
}

export interface JobsPart {
  reactor: Reactor;
  jobs: JobDefinition[];
  /** Reaches a position once the reactions have applied it (`GET /notifications/?min_position=`). */
  reactions: PositionWaiter;
  /** Waits for the jobs woken in this process, closes the reactions' waiter and the mailer (not the reactor). */
  close(): Promise<void>;
}

/** Runs a job in this process when a reaction asks (coalescing wake-ups that come while it runs). */
const wakeable = (job: JobDefinition, clock: Clock, logger: Logger) => {
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await job.run({ runId: uuidv7(), now: clock(), logger });
      } catch (error) {
        // The scheduler runs it again within seconds; what failed is still pending in its table.
        logger.warn(
          { err: error, job: job.name },
          'a job woken by a reaction failed; its schedule retries it',
        );
      }
    } while (again && !closed);
    running = null;
  };
  return {
    wake() {
      if (closed) return;
      if (running) again = true;
      else running = loop();
    },
    async close() {
      closed = true;
      await running;
    },
  };
};

export const createJobsPart = (options: JobsPartOptions): JobsPart => {
  const { knex, logger, clock } = options;
  const mailer = options.email ? (options.mailer ?? smtpMailer(options.email.smtpUrl)) : undefined;
  const emailWindow = options.email ? { batchWindowMs: options.email.batchWindowMs } : undefined;
  const memberRemovals = memberRemovalsJob({
    knex,
    commands: options.commands,
    waiter: options.readModels,
    waitTimeoutMs: options.readModelsTimeoutMs,
    leaseMs: options.leaseMs,
  });
  const labelRemovals = labelRemovalsJob({
    knex,
    commands: options.commands,
    waiter: options.readModels,
    waitTimeoutMs: options.readModelsTimeoutMs,
    leaseMs: options.leaseMs,
  });
  const jobs: JobDefinition[] = [
    memberRemovals,
    labelRemovals,
    overdueRemindersJob({
      knex,
      publisher: options.publisher,
      cron: options.overdueReminderCron ?? DEFAULT_OVERDUE_REMINDER_CRON,
      email: emailWindow,
    }),
    ...(options.email && mailer
      ? [
          emailDigestsJob({
            knex,
            mailer,
            from: options.email.from,
            publicUrl: options.email.publicUrl,
            leaseMs: options.leaseMs,
          }),
        ]
      : []),
  ];
  const woken = new Map([
    [MEMBER_REMOVALS_JOB, wakeable(memberRemovals, clock, logger.child({ job: MEMBER_REMOVALS_JOB }))],
    [LABEL_REMOVALS_JOB, wakeable(labelRemovals, clock, logger.child({ job: LABEL_REMOVALS_JOB }))],
  ]);
  const reactions = [
    notificationsReaction({ clock, email: emailWindow }),
    memberRemovalsReaction,
    labelRemovalsReaction,
  ];
  const reactor = createReactor({
    store: options.store,
    knex,
    reactions,
    publisher: options.publisher,
    wake: (job) => woken.get(job)?.wake(),
    logger,
  });
  const reactionsWaiter = createPositionWaiter({
    knex,
    channel: REACTIONS_CHANNEL,
    projections: reactions.map((r) => reactionCheckpoint(r.name)),
  });
  return {
    reactor,
    jobs,
    reactions: reactionsWaiter,
    async close() {
      await Promise.all([...woken.values()].map((w) => w.close()));
      await reactionsWaiter.close();
      mailer?.close();
    },
  };
};
