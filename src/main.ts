/**
 * The composition root: reads the config, builds the adapters it names, starts the roles, and stops them in
 * order on SIGTERM/SIGINT. No other module reads the environment or builds connections on its own.
 *
 *   ROLE=all        API + WebSockets + projector + reactions + jobs in one process (the default)
 *   ROLE=api        API + WebSockets (scale out behind a load balancer; needs REDIS_URL to share rooms); its
 *                   admin endpoints list and queue jobs, which the scheduler role runs
 *   ROLE=projector  the projector and the reactions (one active per database, others on standby)
 *   ROLE=scheduler  runs the jobs (any number: each due run happens once)
 * Every role serves /healthz, /readyz and /metrics.
 */
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Pool } from 'pg';
import { createOperationsApp, type Operations } from './api/app';
import { postgresRateLimitStores, type RateLimitStores, redisRateLimitStores } from './api/rate-limits';
import { UPCASTERS } from './domain/upcasters';
import { connectEsdb } from './eventstore/esdb/esdb-event-store';
import { instrumentStore } from './eventstore/instrumented';
import type { EventStore } from './eventstore/port';
import { PgEventStore } from './eventstore/postgres/pg-event-store';
import { upcasterChain } from './eventstore/upcasting';
import { createJobStore, jobStoreSettings } from './jobs/scheduler/backend';
import { createScheduler, type Scheduler } from './jobs/scheduler/scheduler';
import { migrations } from './migrations';
import { bootstrapAdmin } from './platform/admin-bootstrap';
import { type Config, loadConfig, loadDotEnv } from './platform/config';
import { startEmbeddedPostgres } from './platform/embedded-postgres';
import { createLogger, type Logger } from './platform/logger';
import { createMetrics, type Metrics } from './platform/metrics';
import { migrateToLatest } from './platform/migrator';
import { createPostgresClients } from './platform/postgres';
import { createReadiness, postgresCheck } from './platform/readiness';
import { loadOrCreateSecret } from './platform/secrets';
import { createShutdown, type Shutdown } from './platform/shutdown';
import type { Bus } from './realtime/bus/bus';
import { createInProcessBus } from './realtime/bus/in-process-bus';
import { RedisBus } from './realtime/bus/redis-bus';
import { createRealtimeServer } from './realtime/server';
import { buildSystem, type System } from './system';
import { filesystemStorage } from './storage/filesystem';
import type { AttachmentStorage } from './storage/port';
import { s3Storage } from './storage/s3';

const listen = (server: Server, host: string, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });

const databaseUrl = async (config: Config, logger: Logger, shutdown: Shutdown): Promise<string> => {
  if (config.databaseUrl) return config.databaseUrl;
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
  shutdown.register('embedded PostgreSQL', () => embedded.stop(), { phase: 'stop-database' });
  logger.info({ dataDir: config.dataDir, port: embedded.port }, 'embedded PostgreSQL started');
  return embedded.url;
};

/** The rate limiters' counters: in Redis when the deployment has it (shared by every API process), else PostgreSQL. */
const createRateLimitStores = (
  config: Config,
  knex: Parameters<typeof postgresRateLimitStores>[0],
  logger: Logger,
  shutdown: Shutdown,
): RateLimitStores => {
  if (!config.redisUrl) return postgresRateLimitStores(knex);
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    connectionName: `tt-rate-limits-${process.pid}`,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
  redis.on('error', (error) => logger.warn({ err: error }, 'rate limit store (redis) error'));
  shutdown.register(
    'rate limit store',
    () =>
      redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      ),
    {
      phase: 'close-pools',
    },
  );
  return redisRateLimitStores(redis, config.redisPrefix);
};

/** JWT_SECRET, or (outside production, which refuses to start without one) a secret kept in the data folder. */
const jwtSecret = async (config: Config, logger: Logger): Promise<string> => {
  if (config.jwtSecret !== undefined) return config.jwtSecret;
  const secret = await loadOrCreateSecret(config.dataDir, 'jwt-secret');
  logger.info(
    { file: `${config.dataDir}/jwt-secret` },
    'JWT_SECRET is unset: using the secret kept in the data folder',
  );
  return secret;
};

const createBus = (config: Config, logger: Logger): Bus =>
  config.redisUrl
    ? new RedisBus({
        url: config.redisUrl,
        prefix: `${config.redisPrefix}tt:room:`,
        onError: (error) => logger.warn({ err: error }, 'redis bus error'),
        onReconnect: () => logger.info('redis bus reconnected; filling gaps from the feeds'),
      })
    : createInProcessBus({
        onListenerError: (error) => logger.error({ err: error }, 'realtime listener failed'),
      });

/** What every role shares: the database, the event log, the bus, metrics, and the system built on them. */
interface Runtime {
  config: Config;
  logger: Logger;
  shutdown: Shutdown;
  knex: Knex;
  bus: Bus;
  metrics: Metrics;
  operations: Operations;
  system: System;
  /** The roles that run jobs or show them (all, api, scheduler); the projector has none. */
  scheduler: Scheduler | undefined;
}

const servesApi = (config: Config): boolean => config.role === 'all' || config.role === 'api';
const runsJobs = (config: Config): boolean => config.role === 'all' || config.role === 'scheduler';
const runsProjector = (config: Config): boolean => config.role === 'all' || config.role === 'projector';

/**
 * Agenda on MongoDB (MONGODB_URL) or on the app's PostgreSQL. Every role with jobs to run or to show has one; the
 * API's only lists and queues runs. Closed last, once Agenda has let go of its runs.
 */
const createJobScheduler = (
  config: Config,
  databaseUrl: string,
  runtime: Pick<Runtime, 'logger' | 'shutdown' | 'metrics'>,
): Scheduler | undefined => {
  if (!servesApi(config) && !runsJobs(config)) return undefined;
  const scheduler = createScheduler({
    store: createJobStore(
      jobStoreSettings({
        mongodbUrl: config.mongodbUrl,
        databaseUrl,
        applicationName: `team-tracker-${config.role}-jobs`,
      }),
    ),
    logger: runtime.logger,
    observe: runtime.metrics.observeJob,
    name: `${hostname()}:${process.pid}:${config.role}`,
  });
  runtime.shutdown.register('job store', () => scheduler.close(), { phase: 'close-pools' });
  return scheduler;
};

const connectEventStore = (config: Config, pool: Pool, metrics: Metrics): EventStore => {
  const upcast = upcasterChain(UPCASTERS);
  return config.eventStoreConnectionString
    ? connectEsdb(config.eventStoreConnectionString, {
        upcast,
        onSubscriptionDropped: (reason) => metrics.eventStoreSubscriptionDrops.inc({ reason }),
      })
    : new PgEventStore({ pool, upcast });
};

/**
 * The log as stored, for the admin views' `?stored=true`: with EventStoreDB a second client that does not upcast
 * (connected at its first use); with PostgreSQL the system reads the `events` table itself.
 */
const storedEventsReader = (config: Config, shutdown: Shutdown): EventStore | undefined => {
  if (!config.eventStoreConnectionString) return undefined;
  const stored = connectEsdb(config.eventStoreConnectionString);
  shutdown.register('stored-events reader', () => stored.close(), { phase: 'close-pools' });
  return stored;
};

/** `/readyz` and `/metrics`: every dependency by name and state, the reasons in the log. */
const operationsOf = (
  runtime: Pick<Runtime, 'config' | 'logger' | 'shutdown' | 'metrics' | 'bus' | 'scheduler'>,
  checks: { pool: Pool; store: EventStore; attachments: AttachmentStorage },
): Operations => {
  const { config, logger, shutdown, metrics, bus, scheduler } = runtime;
  const readiness = createReadiness(
    {
      postgres: postgresCheck(checks.pool),
      eventstore: () => checks.store.ping(),
      ...(bus instanceof RedisBus ? { redis: () => bus.ready(900) } : {}),
      ...(scheduler ? { jobs: () => scheduler.ping() } : {}),
      // The projector role keeps no attachment bytes.
      ...(config.role === 'projector' ? {} : { attachments: () => checks.attachments.check() }),
      shutdown: async () => {
        if (shutdown.isShuttingDown()) throw new Error('shutting down');
      },
    },
    { onFailure: (dependency, error) => logger.warn({ dependency, err: error }, 'readiness check failed') },
  );
  return {
    readiness: () => readiness.check(),
    metrics,
    metricsToken: config.metricsToken,
    observe: metrics.observeHttp,
  };
};

/** Attachment bytes: in the S3-compatible bucket when `S3_BUCKET` is set, else under the data folder. */
const attachmentStorage = (config: Config): AttachmentStorage => {
  const { s3, dir } = config.attachments;
  return s3 === undefined
    ? filesystemStorage(dir)
    : s3Storage({ ...s3, credentials: s3.credentials && { ...s3.credentials } });
};

/** Connects what every role needs (migrating the database first) and builds the system on it. */
const prepare = async (config: Config, logger: Logger, shutdown: Shutdown): Promise<Runtime> => {
  const url = await databaseUrl(config, logger, shutdown);
  const postgres = createPostgresClients(url, {
    poolSize: config.databasePoolSize,
    applicationName: `team-tracker-${config.role}`,
  });
  shutdown.register('postgres pools', () => postgres.close(), { phase: 'close-pools' });
  await migrateToLatest(postgres.knex, migrations);

  const metrics = createMetrics();
  const raw = connectEventStore(config, postgres.pool, metrics);
  const store = instrumentStore(raw, (outcome, seconds) =>
    metrics.eventStoreAppendDuration.observe({ outcome }, seconds),
  );
  const bus = createBus(config, logger);
  shutdown.register('bus', () => bus.close(), { phase: 'close-pools' });
  const scheduler = createJobScheduler(config, url, { logger, shutdown, metrics });
  const attachments = attachmentStorage(config);
  const operations = operationsOf(
    { config, logger, shutdown, metrics, bus, scheduler },
    { pool: postgres.pool, store: raw, attachments },
  );
  const system = buildSystem({
    knex: postgres.knex,
    pool: postgres.pool,
    logger,
    jwtSecret: await jwtSecret(config, logger),
    store,
    publisher: bus,
    passwordHashCost: config.passwordHashCost,
    commandRetries: config.commandRetries,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    readYourWritesTimeoutMs: config.readYourWritesTimeoutMs,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    rateLimits: config.rateLimits,
    rateLimitStores: createRateLimitStores(config, postgres.knex, logger, shutdown),
    membershipLimit: config.membershipLimit,
    operations,
    observeCommand: (type, outcome) => metrics.commands.inc({ type, outcome }),
    email: emailSettings(config),
    overdueReminderCron: config.overdueReminderCron,
    notificationRetentionDays: config.notificationRetentionDays,
    jobAdmin: scheduler?.admin,
    storedEvents: storedEventsReader(config, shutdown),
    attachments: {
      storage: attachments,
      maxBytes: config.attachments.maxBytes,
      retentionMs: config.attachments.retentionSeconds * 1000,
    },
  });
  shutdown.register('read-your-writes waiter and event store', () => system.close(), {
    phase: 'close-pools',
  });
  metrics.setProjectionLagSource(async () =>
    [...(await system.projector.status()), ...(await system.reactor.status())].map((s) => ({
      projection: s.name,
      events: s.lagEvents,
      ms: s.lagMs,
    })),
  );
  if (scheduler) {
    scheduler.define(system.jobs);
    if (runsJobs(config)) metrics.declareJobs(scheduler.jobNames());
  }
  if (config.admin) {
    await bootstrapAdmin(
      {
        knex: postgres.knex,
        logger,
        credentials: system.credentials,
        register: (input, context) => system.commands.registerUser(input, context),
      },
      config.admin,
    );
  }
  return { config, logger, shutdown, knex: postgres.knex, bus, metrics, operations, system, scheduler };
};

/** Email goes out only with SMTP_URL; without it notifications stay in the app. */
const emailSettings = (config: Config) =>
  config.smtpUrl
    ? {
        smtpUrl: config.smtpUrl,
        from: config.emailFrom,
        publicUrl: config.publicUrl,
        batchWindowMs: config.emailBatchWindowSeconds * 1000,
      }
    : undefined;

/** The REST API and the WebSocket rooms on the process's HTTP server. */
const startApi = (runtime: Runtime, server: Server): void => {
  const { config, logger, shutdown, metrics, system, bus } = runtime;
  const realtime = createRealtimeServer({
    server,
    bus,
    db: runtime.knex,
    verifyToken: (token) => system.tokens.verify(token),
    isSessionActive: (sessionId) => system.sessions.isActive(sessionId),
    maxSocketsPerUser: config.socketsPerUser,
    logger,
    metrics: {
      socketOpened: (route) => metrics.websocketOpenSockets.inc({ route }),
      socketClosed: (route) => metrics.websocketOpenSockets.dec({ route }),
      messagesSent: (route, count) => metrics.websocketMessagesSent.inc({ route }, count),
      slowSocketDropped: (route) => metrics.websocketDroppedSlowSockets.inc({ route }),
    },
  });
  shutdown.register('websockets', () => realtime.close(), { phase: 'close-connections' });
  // A rebuild asked for here stops at its next batch, resumable; the pools it writes through close later.
  shutdown.register('read model rebuilds', () => system.rebuilds.close(), { phase: 'drain' });
};

/** The projector and the reactions (a second projector): each active, or on standby while another process leads. */
const startProjector = (runtime: Runtime): void => {
  runtime.system.projector.start();
  runtime.system.reactor.start();
  runtime.shutdown.register('projector', () => runtime.system.projector.stop(), { phase: 'drain' });
  runtime.shutdown.register('reactions', () => runtime.system.reactor.stop(), { phase: 'drain' });
};

/**
 * The jobs: takes due runs until the shutdown, then lets the runs under way finish (bounded by half the shutdown's
 * time, so the pools still close in the other half). A scheduler that cannot start stops the process.
 */
const startScheduler = (runtime: Runtime, scheduler: Scheduler): void => {
  const { shutdown, logger, config } = runtime;
  shutdown.register('job scheduler', () => scheduler.stopAccepting(), { phase: 'stop-accepting' });
  shutdown.register(
    'job runs under way',
    async () => {
      await scheduler.drain(Math.floor(config.shutdownTimeoutMs / 2));
    },
    { phase: 'drain' },
  );
  scheduler.start().catch(async (error: unknown) => {
    logger.fatal({ err: error }, 'the job scheduler failed to start');
    await shutdown.terminate('job scheduler failed to start', 1);
  });
};

/** Where email goes, or why it does not: never the SMTP password. */
const emailLine = (config: Config): string => {
  if (!config.smtpUrl) return 'off: SMTP_URL is not set, so no email is sent (notifications stay in the app)';
  const smtp = new URL(config.smtpUrl);
  return `through ${smtp.protocol}//${smtp.host} from ${config.emailFrom}, links to ${config.publicUrl}`;
};

/** Where this role's jobs are, and whether it runs them. */
const jobsLine = (config: Config): string => {
  const store = config.mongodbUrl ? 'Agenda on MongoDB' : 'Agenda on PostgreSQL';
  return runsJobs(config) ? `run here (${store})` : `${store}; run by the scheduler role, queued from here`;
};

/** Prints where to reach what this process serves. */
const announce = (runtime: Runtime, port: number): void => {
  const { config, logger } = runtime;
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info(
    {
      role: config.role,
      eventStore: config.eventStoreConnectionString ? 'eventstoredb' : 'postgresql',
      bus: config.redisUrl ? 'redis' : 'in-process',
      jobs: config.mongodbUrl ? 'mongodb' : 'postgresql',
      email: config.smtpUrl ? 'smtp' : 'off',
    },
    'team tracker started',
  );
  const lines = servesApi(config)
    ? [
        `Team Tracker (${config.role}) is running`,
        `  API        ${base}/api/v1/`,
        `  API docs   ${base}/api/docs/`,
        `  WebSocket  ${base.replace(/^http/, 'ws')}/ws/projects/{projectId}/?token=<access>`,
        `  health     ${base}/healthz  ${base}/readyz  ${base}/metrics`,
        `  jobs       ${jobsLine(config)}`,
        `  email      ${emailLine(config)}`,
      ]
    : [
        `Team Tracker (${config.role}) is running; health at ${base}/healthz, metrics at ${base}/metrics`,
        ...(runsJobs(config) ? [`  jobs       ${jobsLine(config)}`] : []),
        `  email      ${emailLine(config)}`,
      ];
  process.stdout.write(`${lines.join('\n')}\n`);
};

const main = async (config: Config, logger: Logger, shutdown: Shutdown): Promise<void> => {
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'));
  const runtime = await prepare(config, logger, shutdown);
  // Every role serves HTTP: the API, or the operations endpoints alone.
  const server = createServer(
    servesApi(config) ? runtime.system.app : createOperationsApp(runtime.operations),
  );
  shutdown.register('http server', () => new Promise<void>((resolve) => server.close(() => resolve())), {
    phase: 'stop-accepting',
  });
  if (servesApi(config)) startApi(runtime, server);
  if (runsProjector(config)) startProjector(runtime);
  if (runsJobs(config) && runtime.scheduler) startScheduler(runtime, runtime.scheduler);
  announce(runtime, await listen(server, config.host, config.port));
};

const start = (): void => {
  let config: Config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`team tracker cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel });
  const shutdown = createShutdown({ logger, timeoutMs: config.shutdownTimeoutMs });
  shutdown.install();
  main(config, logger, shutdown).catch(async (error: unknown) => {
    logger.fatal({ err: error }, 'team tracker failed to start');
    process.stderr.write(`team tracker failed to start: ${(error as Error).message}\n`);
    // Stops whatever did start (an embedded PostgreSQL above all) before exiting.
    await shutdown.terminate('startup failed', 1);
  });
};

start();
