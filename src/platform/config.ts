import { existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * The only reader of `process.env`. Parses it once into a typed, frozen config and fails fast with a
 * message that names every bad variable. An empty variable (`JWT_SECRET=` in an env file, an unset
 * `${VAR}` in compose) counts as unset.
 */

/** The development secret earlier versions shipped: known to everyone, so refused wherever it would matter. */
const WELL_KNOWN_JWT_SECRET = 'dev-only-secret-change-me-dev-only-secret';
export const JWT_SECRET_MIN = 32;

/**
 * Defaults of the settings that code outside this module also needs when it is built without a config (tests,
 * scripts): the one place each is written.
 */
export const DEFAULTS = Object.freeze({
  passwordHashCost: 15,
  commandRetries: 5,
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 14 * 86_400,
  membershipLimit: 1000,
  socketsPerUser: 20,
  readYourWritesTimeoutMs: 5000,
  shutdownTimeoutMs: 10_000,
  /** When overdue reminders go out: cron, UTC (daily at 08:00). */
  overdueReminderCron: '0 8 * * *',
  /** Notifications that reach a user within this window go out as one email. */
  emailBatchWindowSeconds: 60,
  /** Read notifications older than this are deleted by the cleanup job. */
  notificationRetentionDays: 30,
  emailFrom: 'Team Tracker <no-reply@localhost>',
  /** The largest attachment accepted: 25 MiB. */
  attachmentMaxBytes: 25 * 1024 * 1024,
  /** How long a removed attachment's bytes are kept before the cleanup job deletes them: 7 days. */
  attachmentRetentionSeconds: 7 * 86_400,
  rateLimits: Object.freeze({ loginPerAccount: 10, loginPerAddress: 50, registerPerAddress: 10 }),
});

const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const optionalUrl = (protocols: string[]) =>
  unsetIfEmpty(
    z
      .string()
      .trim()
      .optional()
      .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}:`)), {
        message: `must be a URL starting with ${protocols.map((p) => `${p}:`).join(' or ')}`,
      }),
  );

const integer = (fallback: number, min: number, max: number) =>
  unsetIfEmpty(z.coerce.number().int().min(min).max(max).default(fallback));

const text = (fallback: string) => unsetIfEmpty(z.string().trim().min(1).default(fallback));

const optionalText = (max: number) => unsetIfEmpty(z.string().trim().min(1).max(max).optional());

/**
 * A cron expression of 5 fields (or 6, with seconds first), checked for its shape only here: the scheduler parses
 * it when it starts and refuses to start on one it cannot read.
 */
const cron = (fallback: string) =>
  unsetIfEmpty(
    z
      .string()
      .trim()
      .default(fallback)
      .refine((v) => /^[\d*?,/\-A-Za-z#]+(\s+[\d*?,/\-A-Za-z#]+){4,5}$/.test(v), {
        message: 'must be a cron expression of 5 fields (minute hour day month weekday), e.g. "0 8 * * *"',
      }),
  );

/** The address written in emails' From: an address, optionally with a display name (`Name <a@b>`). */
const emailFrom = (fallback: string) =>
  unsetIfEmpty(
    z
      .string()
      .trim()
      .default(fallback)
      .refine((v) => /^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(v), {
        message: 'must be an email address, optionally with a name: "Team Tracker <no-reply@example.com>"',
      }),
  );

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration in seconds, written `90`, `90s`, `15m`, `12h` or `7d`. */
const duration = (fallbackSeconds: number) =>
  unsetIfEmpty(
    z
      .string()
      .trim()
      .regex(/^\d{1,9}[smhd]?$/, {
        message: 'must be a duration: seconds, or a number with s, m, h or d (e.g. 7d)',
      })
      .optional()
      .transform((v) => {
        if (v === undefined) return fallbackSeconds;
        const unit = /[smhd]$/.test(v) ? v.slice(-1) : 's';
        return Number.parseInt(v, 10) * (DURATION_UNITS[unit] ?? 1);
      }),
  );

const flag = (fallback: boolean | undefined) =>
  unsetIfEmpty(
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1')),
  );

/** `TRUST_PROXY`: unset/`false` (no proxy), `true` (any), a hop count, or addresses and subnets (express syntax). */
const trustProxy = unsetIfEmpty(
  z
    .string()
    .trim()
    .optional()
    .transform((v): boolean | number | string => {
      if (v === undefined || v === 'false') return false;
      if (v === 'true') return true;
      return /^\d+$/.test(v) ? Number(v) : v;
    }),
);

const schema = z.object({
  NODE_ENV: unsetIfEmpty(z.enum(['development', 'test', 'production']).default('development')),
  ROLE: unsetIfEmpty(z.enum(['all', 'api', 'projector', 'scheduler']).default('all')),
  HOST: text('127.0.0.1'),
  PORT: integer(8000, 0, 65535),
  LOG_LEVEL: unsetIfEmpty(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATA_DIR: text('.data'),
  EVENTSTORE_CONNECTION_STRING: optionalUrl(['esdb', 'esdb+discover', 'kurrentdb', 'kurrentdb+discover']),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  REDIS_PREFIX: unsetIfEmpty(
    z
      .string()
      .trim()
      .max(100)
      .regex(/^[\x21-\x7e]*$/, { message: 'must be visible ASCII characters' })
      .default(''),
  ),
  DATABASE_POOL_SIZE: integer(10, 1, 200),
  JWT_SECRET: unsetIfEmpty(z.string().optional()),
  PASSWORD_HASH_COST: integer(DEFAULTS.passwordHashCost, 10, 20),
  COMMAND_RETRIES: integer(DEFAULTS.commandRetries, 0, 50),
  CORS_ORIGINS: unsetIfEmpty(
    z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o !== ''),
      ),
  ),
  TRUST_PROXY: trustProxy,
  ACCESS_TOKEN_TTL_SECONDS: integer(DEFAULTS.accessTokenTtlSeconds, 30, 86_400),
  REFRESH_TOKEN_TTL_SECONDS: integer(DEFAULTS.refreshTokenTtlSeconds, 60, 365 * 86_400),
  LOGIN_LIMIT_PER_ACCOUNT: integer(DEFAULTS.rateLimits.loginPerAccount, 1, 1_000_000),
  LOGIN_LIMIT_PER_ADDRESS: integer(DEFAULTS.rateLimits.loginPerAddress, 1, 1_000_000),
  REGISTER_LIMIT_PER_ADDRESS: integer(DEFAULTS.rateLimits.registerPerAddress, 1, 1_000_000),
  MEMBERSHIP_LIMIT: integer(DEFAULTS.membershipLimit, 1, 10_000),
  WS_SOCKETS_PER_USER: integer(DEFAULTS.socketsPerUser, 1, 10_000),
  METRICS_TOKEN: unsetIfEmpty(z.string().min(16, { message: 'must be at least 16 characters' }).optional()),
  READ_YOUR_WRITES_TIMEOUT_MS: integer(DEFAULTS.readYourWritesTimeoutMs, 100, 60_000),
  SHUTDOWN_TIMEOUT_MS: integer(DEFAULTS.shutdownTimeoutMs, 1000, 120_000),
  MONGODB_URL: optionalUrl(['mongodb', 'mongodb+srv']),
  SMTP_URL: optionalUrl(['smtp', 'smtps']),
  PUBLIC_URL: optionalUrl(['http', 'https']),
  EMAIL_FROM: emailFrom(DEFAULTS.emailFrom),
  EMAIL_BATCH_WINDOW_SECONDS: integer(DEFAULTS.emailBatchWindowSeconds, 0, 86_400),
  OVERDUE_REMINDER_CRON: cron(DEFAULTS.overdueReminderCron),
  NOTIFICATION_RETENTION_DAYS: integer(DEFAULTS.notificationRetentionDays, 1, 36_500),
  ADMIN_USERNAME: optionalText(150),
  // The registration command's bounds (commands/users/register.ts); the config module may not import it.
  ADMIN_PASSWORD: unsetIfEmpty(
    z.string().min(8, { message: 'must be 8 to 1024 characters' }).max(1024).optional(),
  ),
  ADMIN_EMAIL: optionalText(254),
  ATTACHMENT_MAX_BYTES: integer(DEFAULTS.attachmentMaxBytes, 1, 5 * 1024 ** 3),
  ATTACHMENT_RETENTION: duration(DEFAULTS.attachmentRetentionSeconds),
  ATTACHMENT_DIR: optionalText(4096),
  S3_BUCKET: optionalText(255),
  S3_ENDPOINT: optionalUrl(['http', 'https']),
  S3_REGION: text('us-east-1'),
  S3_ACCESS_KEY_ID: optionalText(1024),
  S3_SECRET_ACCESS_KEY: unsetIfEmpty(z.string().max(1024).optional()),
  S3_FORCE_PATH_STYLE: flag(undefined),
  S3_PREFIX: unsetIfEmpty(
    z
      .string()
      .trim()
      .max(512)
      .regex(/^[A-Za-z0-9!_.*'()/-]*$/, { message: "must be a key prefix of letters, digits and !_.*'()/-" })
      .default(''),
  ),
});

export type Config = Readonly<{
  nodeEnv: 'development' | 'test' | 'production';
  role: 'all' | 'api' | 'projector' | 'scheduler';
  host: string;
  port: number;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Unset: the app starts an embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Set: EventStoreDB holds the event log; unset: the PostgreSQL `events` table. */
  eventStoreConnectionString: string | undefined;
  /** Set: the realtime bus and the login limits use Redis; unset: in-process bus, limits in PostgreSQL. */
  redisUrl: string | undefined;
  /** Put before every Redis channel and key the app uses, so deployments (or test runs) can share one Redis. */
  redisPrefix: string;
  databasePoolSize: number;
  /** Unset (outside production): a secret generated on first start and kept in `dataDir`. */
  jwtSecret: string | undefined;
  /** log2 of scrypt's N for password hashes. */
  passwordHashCost: number;
  commandRetries: number;
  /** Origins allowed by CORS (`*` for any); none by default. */
  corsOrigins: readonly string[];
  /** Express's `trust proxy`: false (the default) trusts no `X-Forwarded-For`. */
  trustProxy: boolean | number | string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Failed logins per account and per client address per 15 minutes; registrations per address per hour. */
  rateLimits: Readonly<{ loginPerAccount: number; loginPerAddress: number; registerPerAddress: number }>;
  /** Organizations a user may belong to. */
  membershipLimit: number;
  /** Open WebSockets per user per process. */
  socketsPerUser: number;
  /** Set: `/metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  readYourWritesTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** Set: Agenda keeps its jobs in MongoDB; unset: in PostgreSQL (`agenda_jobs`). */
  mongodbUrl: string | undefined;
  /** Unset: no email is sent (notifications stay in the app). */
  smtpUrl: string | undefined;
  /** Where users reach the app, for links in emails: `PUBLIC_URL`, else `http://<HOST>:<PORT>`. */
  publicUrl: string;
  emailFrom: string;
  emailBatchWindowSeconds: number;
  overdueReminderCron: string;
  notificationRetentionDays: number;
  attachments: Readonly<{
    /** The largest file accepted (bytes). */
    maxBytes: number;
    /** How long a removed attachment's bytes are kept (seconds). */
    retentionSeconds: number;
    /** The filesystem storage's folder (`ATTACHMENT_DIR`, else `<DATA_DIR>/attachments`), when S3 is not set. */
    dir: string;
    /** Set (`S3_BUCKET`): attachments live in that S3-compatible bucket. */
    s3:
      | Readonly<{
          bucket: string;
          endpoint: string | undefined;
          region: string;
          credentials: Readonly<{ accessKeyId: string; secretAccessKey: string }> | undefined;
          forcePathStyle: boolean;
          prefix: string;
        }>
      | undefined;
  }>;
  /** Set at first start: that user is made (or promoted to) an admin once. */
  admin: Readonly<{ username: string; password: string; email: string | undefined }> | undefined;
}>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Whether the server listens only where the machine itself can reach it. */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * A secret anyone could know (the old built-in one) or guess (short) is refused in production and wherever the
 * server can be reached from another machine; unset is refused in production, where every process needs the same.
 */
const jwtSecretProblem = (e: z.infer<typeof schema>): string | null => {
  const secret = e.JWT_SECRET;
  const exposed = e.NODE_ENV === 'production' || !isLoopback(e.HOST);
  if (secret === undefined)
    return e.NODE_ENV === 'production'
      ? `must be set to a secret of at least ${JWT_SECRET_MIN} characters in production`
      : null;
  if (secret === WELL_KNOWN_JWT_SECRET && exposed)
    return 'is the well-known development secret: set a secret of your own (e.g. openssl rand -hex 32)';
  if (secret.length < JWT_SECRET_MIN && exposed)
    return `must be at least ${JWT_SECRET_MIN} characters when the server listens beyond loopback (HOST=${e.HOST})`;
  return null;
};

/** S3 credentials come together, and the other S3 settings only with a bucket. */
const s3Problem = (e: z.infer<typeof schema>): string | null => {
  if ((e.S3_ACCESS_KEY_ID === undefined) !== (e.S3_SECRET_ACCESS_KEY === undefined))
    return '  S3_ACCESS_KEY_ID: and S3_SECRET_ACCESS_KEY are set together, or neither (the SDK then finds its own)';
  if (e.S3_BUCKET === undefined && (e.S3_ENDPOINT !== undefined || e.S3_ACCESS_KEY_ID !== undefined))
    return '  S3_BUCKET: must be set with S3_ENDPOINT or S3 credentials (unset: attachments stay on the filesystem)';
  return null;
};

/** `ADMIN_USERNAME` and `ADMIN_PASSWORD` come together; `ADMIN_EMAIL` only with them. */
const adminProblem = (e: z.infer<typeof schema>): string | null => {
  if (e.ADMIN_USERNAME !== undefined && e.ADMIN_PASSWORD === undefined)
    return '  ADMIN_USERNAME: is set without ADMIN_PASSWORD: set both, or neither';
  if (e.ADMIN_PASSWORD !== undefined && e.ADMIN_USERNAME === undefined)
    return '  ADMIN_PASSWORD: is set without ADMIN_USERNAME: set both, or neither';
  if (e.ADMIN_EMAIL !== undefined && e.ADMIN_USERNAME === undefined)
    return '  ADMIN_EMAIL: is used only with ADMIN_USERNAME and ADMIN_PASSWORD';
  return null;
};

/** `http://<HOST>:<PORT>`, with an IPv6 address in brackets. */
const defaultPublicUrl = (host: string, port: number): string =>
  `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/** Parses an environment (by default the process's) into the config, or throws a ConfigError naming the variables. */
export const loadConfig = (env: Record<string, string | undefined> = process.env): Config => {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const secretProblem = jwtSecretProblem(e);
  if (secretProblem) throw new ConfigError(`invalid configuration:\n  JWT_SECRET: ${secretProblem}`);
  const admin = adminProblem(e);
  if (admin) throw new ConfigError(`invalid configuration:\n${admin}`);
  const s3 = s3Problem(e);
  if (s3) throw new ConfigError(`invalid configuration:\n${s3}`);
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    role: e.ROLE,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    eventStoreConnectionString: e.EVENTSTORE_CONNECTION_STRING,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    jwtSecret: e.JWT_SECRET,
    passwordHashCost: e.PASSWORD_HASH_COST,
    commandRetries: e.COMMAND_RETRIES,
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    trustProxy: e.TRUST_PROXY,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    rateLimits: Object.freeze({
      loginPerAccount: e.LOGIN_LIMIT_PER_ACCOUNT,
      loginPerAddress: e.LOGIN_LIMIT_PER_ADDRESS,
      registerPerAddress: e.REGISTER_LIMIT_PER_ADDRESS,
    }),
    membershipLimit: e.MEMBERSHIP_LIMIT,
    socketsPerUser: e.WS_SOCKETS_PER_USER,
    metricsToken: e.METRICS_TOKEN,
    readYourWritesTimeoutMs: e.READ_YOUR_WRITES_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    mongodbUrl: e.MONGODB_URL,
    smtpUrl: e.SMTP_URL,
    publicUrl: (e.PUBLIC_URL ?? defaultPublicUrl(e.HOST, e.PORT)).replace(/\/+$/, ''),
    emailFrom: e.EMAIL_FROM,
    emailBatchWindowSeconds: e.EMAIL_BATCH_WINDOW_SECONDS,
    overdueReminderCron: e.OVERDUE_REMINDER_CRON,
    notificationRetentionDays: e.NOTIFICATION_RETENTION_DAYS,
    attachments: Object.freeze({
      maxBytes: e.ATTACHMENT_MAX_BYTES,
      retentionSeconds: e.ATTACHMENT_RETENTION,
      dir: e.ATTACHMENT_DIR ?? `${e.DATA_DIR.replace(/\/+$/, '')}/attachments`,
      s3:
        e.S3_BUCKET === undefined
          ? undefined
          : Object.freeze({
              bucket: e.S3_BUCKET,
              endpoint: e.S3_ENDPOINT,
              region: e.S3_REGION,
              credentials:
                e.S3_ACCESS_KEY_ID !== undefined && e.S3_SECRET_ACCESS_KEY !== undefined
                  ? Object.freeze({
                      accessKeyId: e.S3_ACCESS_KEY_ID,
                      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
                    })
                  : undefined,
              // An endpoint of one's own (MinIO, …) most often wants the bucket in the path.
              forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
              prefix: e.S3_PREFIX,
            }),
    }),
    admin:
      e.ADMIN_USERNAME !== undefined && e.ADMIN_PASSWORD !== undefined
        ? Object.freeze({ username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD, email: e.ADMIN_EMAIL })
        : undefined,
  });
};

/**
 * Reads `.env` from the working directory into the environment when there is one (Node's own parser): variables
 * already set in the environment win. Returns whether a file was read.
 */
export const loadDotEnv = (file = '.env'): boolean => {
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
};

/** Every variable the config module reads, for docs and for the check that .env.example lists them all. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);
