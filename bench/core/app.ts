/**
 * The service under test, started the way production starts it: `node --import tsx src/main.ts` with `ROLE=all`,
 * the PostgreSQL event store, Redis for the bus and the login limits, on port 0; the URL comes from its banner.
 */
import { type NodeProcess, startNode } from './processes';

export interface AppProcess extends NodeProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
}

const HUGE = '1000000';

/** The app's environment: the bench's services, limits that never throttle the bench, nothing optional. */
export const appEnv = (databaseUrl: string, redisUrl: string, jwtSecret: string): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_ENV: 'production',
  ROLE: 'all',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: process.env.LOG_LEVEL || 'info',
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  JWT_SECRET: jwtSecret,
  // Setup speed only: scrypt runs at registration and login, never on a measured request.
  PASSWORD_HASH_COST: '10',
  LOGIN_LIMIT_PER_ACCOUNT: HUGE,
  LOGIN_LIMIT_PER_ADDRESS: HUGE,
  REGISTER_LIMIT_PER_ADDRESS: HUGE,
  WS_SOCKETS_PER_USER: '10000',
  // Tokens outlive the longest run (the soak alone is ten minutes).
  ACCESS_TOKEN_TTL_SECONDS: '86400',
  EVENTSTORE_CONNECTION_STRING: '',
  MONGODB_URL: '',
  SMTP_URL: '',
  METRICS_TOKEN: '',
  ADMIN_USERNAME: '',
  ADMIN_PASSWORD: '',
  TRUST_PROXY: '',
  CORS_ORIGINS: '',
});

export const BANNER = /API\s+(http:\/\/\S+?)\/api\/v1\//;

/** The secret is the run's: a token one app process issued is good in another (the idle row starts several). */
export const startApp = async (
  databaseUrl: string,
  redisUrl: string,
  jwtSecret: string,
  logFile?: string,
): Promise<AppProcess> => {
  const child = await startNode({
    name: 'the app',
    script: 'src/main.ts',
    // For profiling the app under the bench's load: BENCH_APP_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
    nodeArgs: (process.env.BENCH_APP_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    env: appEnv(databaseUrl, redisUrl, jwtSecret),
    ready: BANNER,
    timeoutMs: 120_000,
    logFile,
  });
  const url = child.ready[1]!;
  return { ...child, url, wsUrl: url.replace(/^http/, 'ws') };
};
