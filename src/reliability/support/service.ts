/**
 * The whole service as its real processes (`src/main.ts`, one per role) on one database and one Redis, for the
 * reliability suites: started, killed with SIGKILL, restarted on the same ports (so clients reconnect to the
 * addresses they know, as behind a load balancer), stopped. Every process's output is kept (the last lines) for
 * the failure reports, and an exit the suite did not ask for is recorded as a crash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export type Role = 'all' | 'api' | 'projector' | 'scheduler';

export interface ServiceOptions {
  /** The database every process uses (a test database, or a proxy in front of one). */
  databaseUrl: string;
  /** Redis for the bus and the login limits; unset: every process has its in-process bus (use one `all`). */
  redisUrl?: string;
  /** REDIS_PREFIX: unique per run, so runs sharing the Redis never hear each other. */
  redisPrefix?: string;
  /** One process per entry, e.g. `['api', 'api', 'projector', 'scheduler']`. */
  roles: readonly Role[];
  jwtSecret: string;
  /** More environment for every process (it wins over the defaults below). */
  env?: Record<string, string>;
  /** How long a process may take to print its banner. */
  startTimeoutMs?: number;
}

export interface ServiceProcess {
  readonly role: Role;
  readonly port: number;
  readonly base: string;
  readonly pid: number | undefined;
  /** Whether it is running now. */
  readonly running: boolean;
  /** Its last lines of output (stdout and stderr). */
  output(): string;
}

export interface Service {
  readonly processes: readonly ServiceProcess[];
  /** The base URLs of the processes that serve the API (`api` and `all`), fixed across restarts. */
  readonly apis: readonly string[];
  /** Starts every process that is not running and waits until each has printed its banner. */
  start(): Promise<void>;
  /**
   * SIGKILL to every running process, at once or (with `spreadMs`) each at a random moment within that time;
   * resolves when all have exited. Returns how many were killed.
   */
  kill(spreadMs?: number): Promise<number>;
  /** SIGTERM to every running process; resolves when all have exited (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /**
   * Exits the suite did not cause (a process that died by itself), each with its role, code and output, and the
   * log lines that report an unhandled rejection or exception.
   */
  crashes(): string[];
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'src', 'main.ts');
/** Stops the service when this process is gone, killed included. */
const EXIT_WITH_PARENT = path.join(ROOT, 'src', 'reliability', 'support', 'exit-with-parent.cjs');
/**
 * How the tests and this harness run the service: `src/main.ts` under tsx, stopping when its starter is gone
 * (spawn it with stdin a pipe from the starter: EXIT_WITH_PARENT).
 */
export const SERVICE_ARGS: readonly string[] = ['--require', EXIT_WITH_PARENT, '--import', 'tsx', MAIN];
const KEPT_LINES = 200;

/** A port nothing listens on now (the kernel's pick), kept by the process for every restart. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** The environment of one process: the parent's, without the settings that would pick other backends. */
const environment = (options: ServiceOptions, role: Role, port: number): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'REDIS_URL',
    'REDIS_PREFIX',
    'EVENTSTORE_CONNECTION_STRING',
    'MONGODB_URL',
    'SMTP_URL',
    'NODE_ENV',
    'ADMIN_USERNAME',
    'ADMIN_PASSWORD',
  ])
    delete env[name];
  return {
    ...env,
    ROLE: role,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...(options.redisPrefix ? { REDIS_PREFIX: options.redisPrefix } : {}),
    JWT_SECRET: options.jwtSecret,
    LOG_LEVEL: 'warn',
    PASSWORD_HASH_COST: '10',
    // Long enough for the longest run: the suites' sockets and clients keep one login throughout.
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    // Small pools: several suites and processes share one PostgreSQL with 100 connections.
    DATABASE_POOL_SIZE: '4',
    LOGIN_LIMIT_PER_ACCOUNT: '100000',
    LOGIN_LIMIT_PER_ADDRESS: '100000',
    REGISTER_LIMIT_PER_ADDRESS: '100000',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...options.env,
  };
};

/** Log lines that mean something escaped every handler (main.ts logs them and keeps running). */
const ALARMS = /"msg":"(unhandled rejection|uncaught exception)"|UnhandledPromiseRejection/i;

const BANNER = /(?:API\s+|health at )(http:\/\/\S+?)\/(?:api\/v1\/|healthz)/;

class Child implements ServiceProcess {
  private child: ChildProcess | null = null;
  private lines: string[] = [];
  private expectingExit = false;
  readonly crashes: string[] = [];

  constructor(
    readonly role: Role,
    readonly port: number,
    private readonly options: ServiceOptions,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  output(): string {
    return this.lines.join('\n');
  }

  private keep(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      this.lines.push(`[${this.role}] ${line}`);
      if (ALARMS.test(line))
        this.crashes.push(`${this.role} on port ${this.port} logged: ${line.slice(0, 1000)}`);
    }
    if (this.lines.length > KEPT_LINES) this.lines = this.lines.slice(-KEPT_LINES);
  }

  start(): Promise<void> {
    if (this.child) return Promise.resolve();
    const child = spawn(process.execPath, SERVICE_ARGS, {
      cwd: ROOT,
      env: environment(this.options, this.role, this.port),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.expectingExit = false;
    let started = false;
    let pending = '';
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.role} did not start in time:\n${this.output()}`)),
        this.options.startTimeoutMs ?? 90_000,
      );
      const onData = (data: Buffer) => {
        const text = data.toString();
        this.keep(text);
        if (started) return;
        pending += text;
        if (BANNER.test(pending)) {
          started = true;
          pending = '';
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        clearTimeout(timer);
        if (!this.expectingExit) {
          const what = `${this.role} on port ${this.port} exited by itself (code ${code}, signal ${signal})`;
          this.crashes.push(`${what}:\n${this.output()}`);
          if (!started) reject(new Error(`${what} before starting:\n${this.output()}`));
        }
      });
    });
  }

  /** Sends the signal and resolves once the process has exited. */
  signal(signal: NodeJS.Signals, graceMs?: number): Promise<boolean> {
    const child = this.child;
    if (!child) return Promise.resolve(false);
    this.expectingExit = true;
    return new Promise((resolve) => {
      const timer = graceMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
      child.kill(signal);
    });
  }
}

/** The processes of one deployment, on ports chosen now and kept for its restarts. Nothing runs until `start`. */
export const createService = async (options: ServiceOptions): Promise<Service> => {
  const children: Child[] = [];
  for (const role of options.roles) children.push(new Child(role, await freePort(), options));
  return {
    processes: children,
    apis: children.filter((c) => c.role === 'api' || c.role === 'all').map((c) => c.base),
    async start() {
      const results = await Promise.allSettled(children.map((c) => c.start()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async kill(spreadMs = 0) {
      const killed = await Promise.all(
        children.map(async (c) => {
          if (spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * spreadMs));
          return c.signal('SIGKILL');
        }),
      );
      return killed.filter(Boolean).length;
    },
    async stop(graceMs = 10_000) {
      await Promise.all(children.map((c) => c.signal('SIGTERM', graceMs)));
    },
    crashes: () => children.flatMap((c) => c.crashes),
  };
};
