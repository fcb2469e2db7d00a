import { z } from 'zod';

/**
 * The only reader of `process.env`. Parses it once into a typed, frozen config and fails fast with a
 * message that names every bad variable.
 */

const DEFAULT_JWT_SECRET = 'dev-only-secret-change-me-dev-only-secret';

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}:`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}:`).join(' or ')}`,
    });

const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  ROLE: z.enum(['all', 'api', 'projector']).default('all'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: integer(8000, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATA_DIR: z.string().trim().min(1).default('.data'),
  EVENTSTORE_CONNECTION_STRING: optionalUrl(['esdb', 'esdb+discover', 'kurrentdb', 'kurrentdb+discover']),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  DATABASE_POOL_SIZE: integer(10, 1, 200),
  JWT_SECRET: z.string().min(1).default(DEFAULT_JWT_SECRET),
  PASSWORD_HASH_COST: integer(15, 10, 20),
  COMMAND_RETRIES: integer(5, 0, 50),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    ),
  ACCESS_TOKEN_TTL_SECONDS: integer(900, 30, 86_400),
  REFRESH_TOKEN_TTL_SECONDS: integer(14 * 86_400, 60, 365 * 86_400),
  LOGIN_RATE_LIMIT: integer(20, 1, 100_000),
  READ_YOUR_WRITES_TIMEOUT_MS: integer(5000, 100, 60_000),
  SHUTDOWN_TIMEOUT_MS: integer(10_000, 1000, 120_000),
});

export type Config = Readonly<{
  nodeEnv: 'development' | 'test' | 'production';
  role: 'all' | 'api' | 'projector';
  host: string;
  port: number;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Unset: the app starts an embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Set: EventStoreDB holds the event log; unset: the PostgreSQL `events` table. */
  eventStoreConnectionString: string | undefined;
  /** Set: the realtime bus is Redis pub/sub; unset: in-process. */
  redisUrl: string | undefined;
  databasePoolSize: number;
  jwtSecret: string;
  /** log2 of scrypt's N for password hashes. */
  passwordHashCost: number;
  commandRetries: number;
  /** Origins allowed by CORS (`*` for any); none by default. */
  corsOrigins: readonly string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Login attempts per client address and username per 15 minutes. */
  loginRateLimit: number;
  readYourWritesTimeoutMs: number;
  shutdownTimeoutMs: number;
}>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses an environment (by default the process's) into the config, or throws a ConfigError naming the variables. */
export const loadConfig = (env: Record<string, string | undefined> = process.env): Config => {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && (e.JWT_SECRET === DEFAULT_JWT_SECRET || e.JWT_SECRET.length < 32)) {
    throw new ConfigError(
      'invalid configuration:\n  JWT_SECRET: must be set to a secret of at least 32 characters in production',
    );
  }
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
    databasePoolSize: e.DATABASE_POOL_SIZE,
    jwtSecret: e.JWT_SECRET,
    passwordHashCost: e.PASSWORD_HASH_COST,
    commandRetries: e.COMMAND_RETRIES,
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    readYourWritesTimeoutMs: e.READ_YOUR_WRITES_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  });
};

/** Every variable the config module reads, for docs and for the check that .env.example lists them all. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);
