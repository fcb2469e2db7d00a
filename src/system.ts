/**
 * Builds the running system from explicit settings: the adapters, the command side, the projector, the
 * read-your-writes waiter and the HTTP app. `main.ts` calls it with the parsed config; tests call it with a
 * fresh database. Nothing here reads the environment.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import type { Knex } from 'knex';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { createApp, type Operations } from './api/app';
import { createTokenService, type TokenService } from './api/auth/tokens';
import type { CommandResponseDeps } from './api/command-response';
import { createIdempotency } from './api/idempotency';
import {
  postgresRateLimitStores,
  purgeExpiredRateLimits,
  type RateLimits,
  type RateLimitStores,
} from './api/rate-limits';
import { adminRoutes, NO_JOBS } from './api/routes/admin';
import { attachmentRoutes } from './api/routes/attachments';
import { adminEventRoutes } from './api/routes/admin-events';
import { auditRoutes } from './api/routes/audit';
import { adminProjectionRoutes } from './api/routes/admin-projections';
import { commentRoutes } from './api/routes/comments';
import { issueRoutes } from './api/routes/issues';
import { labelRoutes } from './api/routes/labels';
import { organizationRoutes } from './api/routes/organizations';
import { notificationRoutes } from './api/routes/notifications';
import { projectRoutes } from './api/routes/projects';
import type { ResourceDeps } from './api/routes/shared';
import { type Commands, createCommands } from './commands';
import type { CredentialStore } from './accounts/credentials';
import { scryptHasher } from './accounts/password';
import { pgCredentialStore } from './accounts/pg-credential-store';
import { pgNotificationPreferences } from './accounts/preferences';
import { pgSessionStore, type SessionStore } from './accounts/sessions';
import { UPCASTERS } from './domain/upcasters';
import type { EventStore, StreamReader } from './eventstore/port';
import { PgEventStore } from './eventstore/postgres/pg-event-store';
import { noUpcast, upcasterChain } from './eventstore/upcasting';
import { attachmentCleanupJob } from './jobs/attachment-cleanup';
import { cleanupJob } from './jobs/cleanup';
import type { Clock, JobAdmin, JobDefinition } from './jobs/job';
import { createJobsPart, type EmailSettings, type JobsPart } from './jobs/jobs-part';
import type { Reactor } from './jobs/reactor/reactor';
import type { Publisher } from './realtime/bus/bus';
import { DEFAULTS } from './platform/config';
import { membershipCount } from './projections/organizations/queries';
import { projectKeysOf } from './projections/projects/queries';
import { readModels } from './projections/read-models';
import { sessionRevokedMessage } from './realtime/protocol';
import { createPositionWaiter, type PositionWaiter } from './projections/runner/position-waiter';
import { createProjector, type Projector } from './projections/runner/projector';
import {
  type BackgroundRebuilds,
  createBackgroundRebuilds,
} from './projections/runner/rebuild/background-rebuilds';
import { describeProjections } from './projections/runner/rebuild/rebuild-status';
import { filesystemStorage } from './storage/filesystem';
import type { AttachmentStorage } from './storage/port';

export interface SystemSettings {
  knex: Knex;
  pool: Pool;
  logger: Logger;
  jwtSecret: string;
  /** The event log; defaults to the PostgreSQL `events` table on `pool`. */
  store?: EventStore;
  /** The realtime bus the projector publishes to. */
  publisher: Publisher;
  passwordHashCost?: number;
  commandRetries?: number;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  readYourWritesTimeoutMs?: number;
  corsOrigins?: readonly string[];
  rateLimits?: RateLimits;
  /** Where login and registration limits count; defaults to PostgreSQL on `knex`. */
  rateLimitStores?: RateLimitStores;
  trustProxy?: boolean | number | string;
  idempotencyTtlSeconds?: number;
  /** How many organizations a user may belong to (default 1 000). */
  membershipLimit?: number;
  /**
   * The log as stored, without upcasting, for the audit and admin views' `?stored=true`. Defaults to the
   * PostgreSQL `events` table on `pool` when the store is PostgreSQL; any other store must be given one.
   */
  storedEvents?: StreamReader;
  /** Rows per query of an NDJSON export of the log (default 1 000). */
  exportBatchSize?: number;
  /** The most events one `GET /projects/{id}/issues/?as_of=` may replay (422 past it; default 20 000). */
  asOfEventBound?: number;
  /** How long an in-flight Idempotency-Key survives a process that died holding it (default 5 s). */
  idempotencyLeaseMs?: number;
  operations?: Operations;
  /** Told of every command's outcome (metrics). */
  observeCommand?: (type: string, outcome: 'ok' | 'rejected' | 'conflict' | 'error') => void;
  /** Email notifications (`SMTP_URL` and company); without it no email is sent. */
  email?: EmailSettings;
  /** When overdue reminders go out: a cron expression, UTC (default daily at 08:00). */
  overdueReminderCron?: string;
  /** The clock jobs and reactions read (default the system's); tests move it. */
  clock?: Clock;
  /** How long a job run holds a claimed email batch or member removal before another may take it over (60 s). */
  jobLeaseMs?: number;
  /** The admin endpoints' view of the jobs (the scheduler's); without it they list no job. */
  jobAdmin?: JobAdmin;
  /** How long read notifications are kept before the cleanup job deletes them (default 30 days). */
  notificationRetentionDays?: number;
  /** Events per batch of a rebuild asked for through the admin API (default 5 000). */
  rebuildBatchSize?: number;
  /** Attachments: where their bytes live (default: a folder in the system's temporary folder) and their bounds. */
  attachments?: AttachmentSystemSettings;
}

export interface AttachmentSystemSettings {
  storage: AttachmentStorage;
  /** The largest file accepted (default 25 MiB). */
  maxBytes?: number;
  /** How long a removed attachment's bytes are kept (default 7 days). */
  retentionMs?: number;
  /** How old unreferenced bytes must be before the cleanup job deletes them (default one hour). */
  orphanGraceMs?: number;
}

const attachmentSettingsOf = (settings: SystemSettings) => {
  const given = settings.attachments;
  return {
    storage: given?.storage ?? filesystemStorage(path.join(tmpdir(), 'team-tracker-attachments')),
    maxBytes: given?.maxBytes ?? DEFAULTS.attachmentMaxBytes,
    retentionMs: given?.retentionMs ?? DEFAULTS.attachmentRetentionSeconds * 1000,
    orphanGraceMs: given?.orphanGraceMs,
  };
};

export interface System {
  store: EventStore;
  commands: Commands;
  credentials: CredentialStore;
  sessions: SessionStore;
  tokens: TokenService;
  waiter: PositionWaiter;
  /** Built, not started: the projector role starts it. */
  projector: Projector;
  /** The reactions to the log (notifications, member removals): a second projector instance, built, not started. */
  reactor: Reactor;
  /** Rebuilds of read models asked for through the admin API, run in the background of this process. */
  rebuilds: BackgroundRebuilds;
  /**
   * What the scheduler runs: `member-removals`, `overdue-reminders`, `cleanup`, `attachment-cleanup`, and
   * `email-digests` when email is set.
   */
  jobs: JobDefinition[];
  app: Express;
  /** Stops the projector, the reactor and the waiters and closes the event store (not the pools, which the caller owns). */
  close(): Promise<void>;
}

/** The write side: commands over the event log, and the accounts they and the API share. */
const writeSide = (settings: SystemSettings, store: EventStore) => {
  const credentials = pgCredentialStore(settings.knex);
  const hasher = scryptHasher(settings.passwordHashCost ?? DEFAULTS.passwordHashCost);
  const commands = createCommands({
    store,
    credentials,
    hasher,
    memberships: {
      count: (userId) => membershipCount(settings.knex, userId),
      limit: settings.membershipLimit ?? DEFAULTS.membershipLimit,
    },
    projectKeysInUse: (organizationId) => projectKeysOf(settings.knex, organizationId),
    options: {
      maxRetries: settings.commandRetries ?? DEFAULTS.commandRetries,
      observe: settings.observeCommand,
    },
  });
  const sessions = pgSessionStore(settings.knex, {
    ttlSeconds: settings.refreshTokenTtlSeconds ?? DEFAULTS.refreshTokenTtlSeconds,
  });
  const preferences = pgNotificationPreferences(settings.knex);
  const tokens = createTokenService({
    secret: settings.jwtSecret,
    accessTtlSeconds: settings.accessTokenTtlSeconds ?? DEFAULTS.accessTokenTtlSeconds,
  });
  return { credentials, hasher, commands, sessions, preferences, tokens };
};

/** The log as stored, for `?stored=true`: as given, or the PostgreSQL `events` table read without upcasting. */
const storedEventsOf = (settings: SystemSettings, store: EventStore): StreamReader | null =>
  settings.storedEvents ??
  (store.kind === 'postgresql' ? new PgEventStore({ pool: settings.pool, upcast: noUpcast }) : null);

/** The HTTP app over the write side, the read models, and single streams of the log. */
const httpApp = (
  settings: SystemSettings,
  store: EventStore,
  write: ReturnType<typeof writeSide>,
  waiter: PositionWaiter,
  jobsPart: JobsPart,
  runners: { projector: Projector; rebuilds: BackgroundRebuilds },
  attachments: ReturnType<typeof attachmentSettingsOf>,
): Express => {
  const readYourWritesTimeoutMs = settings.readYourWritesTimeoutMs ?? DEFAULTS.readYourWritesTimeoutMs;
  const responses: CommandResponseDeps = {
    waiter,
    head: () => store.headPosition(),
    timeoutMs: readYourWritesTimeoutMs,
  };
  const resources: ResourceDeps = {
    commands: write.commands,
    db: settings.knex,
    // Only what history and as_of need: the API never gets append or the whole log through here.
    streams: { readStream: (streamId, options) => store.readStream(streamId, options) },
    responses,
    minPositionTimeoutMs: readYourWritesTimeoutMs,
    asOfEventBound: settings.asOfEventBound,
  };
  const storedEvents = storedEventsOf(settings, store);
  return createApp({
    ...write,
    logger: settings.logger,
    responses,
    routes: () => [
      ...organizationRoutes(resources),
      ...projectRoutes(resources),
      ...issueRoutes(resources),
      ...labelRoutes(resources),
      ...commentRoutes(resources),
      ...attachmentRoutes({ ...resources, attachments }),
      // Notifications are the reactions' tables: `?min_position=` waits for the reactor, not the read models.
      ...notificationRoutes({ ...resources, responses: { ...responses, waiter: jobsPart.reactions } }),
      ...adminRoutes({ credentials: write.credentials, jobs: settings.jobAdmin ?? NO_JOBS }),
      // Only these routes read the log as stored (`?stored=true`); the index itself is a read model.
      ...auditRoutes({ ...resources, storedEvents }),
      ...adminEventRoutes({
        ...resources,
        credentials: write.credentials,
        storedEvents,
        exportBatchSize: settings.exportBatchSize,
      }),
      ...adminProjectionRoutes({
        credentials: write.credentials,
        commands: write.commands,
        readModels,
        overview: async () =>
          describeProjections({
            knex: settings.knex,
            store,
            readModels: await runners.projector.status(),
            reactions: await jobsPart.reactor.status(),
          }),
        rebuilds: runners.rebuilds,
      }),
    ],
    idempotency: createIdempotency(settings.knex, {
      ttlSeconds: settings.idempotencyTtlSeconds ?? 24 * 3600,
      waitMs: readYourWritesTimeoutMs + 5000,
      secret: settings.jwtSecret,
      leaseMs: settings.idempotencyLeaseMs,
    }),
    corsOrigins: settings.corsOrigins ?? [],
    onSessionRevoked: (session) => {
      settings.publisher.publish([sessionRevokedMessage(session)]).catch((error: unknown) =>
        // Its sockets then stay open until their tokens expire (minutes), not for ever.
        settings.logger.warn({ err: error }, 'could not announce a revoked login to the WebSocket servers'),
      );
    },
    rateLimits: settings.rateLimits ?? DEFAULTS.rateLimits,
    rateLimitStores: settings.rateLimitStores ?? postgresRateLimitStores(settings.knex),
    trustProxy: settings.trustProxy,
    operations: settings.operations,
  });
};

export const buildSystem = (settings: SystemSettings): System => {
  const store = settings.store ?? new PgEventStore({ pool: settings.pool, upcast: upcasterChain(UPCASTERS) });
  const write = writeSide(settings, store);
  const waiter = createPositionWaiter({ knex: settings.knex, projections: readModels.map((p) => p.name) });
  const projector = createProjector({
    store,
    knex: settings.knex,
    projections: readModels,
    publisher: settings.publisher,
    logger: settings.logger,
  });
  const jobsPart = createJobsPart({
    store,
    knex: settings.knex,
    logger: settings.logger,
    publisher: settings.publisher,
    commands: write.commands,
    readModels: waiter,
    readModelsTimeoutMs: settings.readYourWritesTimeoutMs ?? DEFAULTS.readYourWritesTimeoutMs,
    clock: settings.clock ?? (() => new Date()),
    email: settings.email,
    overdueReminderCron: settings.overdueReminderCron ?? DEFAULTS.overdueReminderCron,
    leaseMs: settings.jobLeaseMs ?? 60_000,
  });
  const rebuilds = createBackgroundRebuilds({
    store,
    knex: settings.knex,
    projections: readModels,
    logger: settings.logger,
    batchSize: settings.rebuildBatchSize,
  });
  const { credentials, commands, sessions, tokens } = write;
  const attachments = attachmentSettingsOf(settings);
  return {
    store,
    commands,
    credentials,
    sessions,
    tokens,
    waiter,
    projector,
    reactor: jobsPart.reactor,
    rebuilds,
    jobs: [
      ...jobsPart.jobs,
      cleanupJob({
        knex: settings.knex,
        purgeExpiredRefreshTokens: (before) => write.sessions.purgeExpired(before),
        purgeExpiredRateLimits: (before) => purgeExpiredRateLimits(settings.knex, before),
        notificationRetentionDays: settings.notificationRetentionDays ?? DEFAULTS.notificationRetentionDays,
      }),
      attachmentCleanupJob({ knex: settings.knex, ...attachments }),
    ],
    app: httpApp(settings, store, write, waiter, jobsPart, { projector, rebuilds }, attachments),
    async close() {
      await Promise.all([projector.stop(), jobsPart.reactor.stop(), rebuilds.close()]);
      await jobsPart.close();
      await waiter.close();
      await store.close();
    },
  };
};
