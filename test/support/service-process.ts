/**
 * The real service as a child process (`src/main.ts` under tsx) in one role, on a test database, with everything
 * it prints kept: for suites that run several processes on one database, and for the log scan.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { SERVICE_ARGS } from '../../src/reliability/support/service';

export type ServiceRole = 'all' | 'api' | 'projector' | 'scheduler';

export interface ServiceProcess {
  role: ServiceRole;
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`: the API, or (projector, scheduler) the health and metrics endpoints. */
  base: string;
  /** Everything it printed so far (stdout and stderr: the log lines and the banner). */
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM, and SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts the service in the role with the settings given (PORT=0 and a quiet log unless they say otherwise). */
export const startService = (
  role: ServiceRole,
  settings: Record<string, string>,
  timeoutMs = 90_000,
): Promise<ServiceProcess> => {
  const env: Record<string, string | undefined> = {
    ...process.env,
    ROLE: role,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PASSWORD_HASH_COST: '10',
    ...settings,
  };
  for (const name of ['REDIS_URL', 'EVENTSTORE_CONNECTION_STRING', 'MONGODB_URL', 'SMTP_URL', 'NODE_ENV'])
    if (!(name in settings)) delete env[name];
  const child = spawn(process.execPath, SERVICE_ARGS, {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const banner =
    role === 'api' || role === 'all'
      ? /API\s+(http:\/\/[^\s]+)\/api\/v1\//
      : /health at (http:\/\/[^\s]+)\/healthz/;
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} did not start:\n${output.slice(-3000)}`));
    }, timeoutMs);
    const check = () => {
      const match = banner.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({ role, child, base: match[1]!, output: () => output, exited, stop });
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${role} exited before starting:\n${output.slice(-3000)}`));
    });
  });
};

/** Log lines that say something went wrong that no client input should cause. */
export const alarmingLines = (output: string): string[] =>
  output
    .split('\n')
    .filter((line) =>
      /unhandled (rejection|error)|uncaught|"level":(50|60)|websocket connection failed/i.test(line),
    );
