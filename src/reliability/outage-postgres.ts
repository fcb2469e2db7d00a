/**
 * The PostgreSQL outage suite (QUALITY.md, "Dependencies fail, the service degrades"). The service's processes
 * reach PostgreSQL through a TCP proxy the suite controls (their DATABASE_URL names the proxy); the suite's own
 * connections go straight to the server. Under load from writers, readers and WebSocket clients, each cycle:
 *
 * 1. cuts the service's sessions again and again with `pg_terminate_backend` (only this test database's, never
 *    the suite's own): every answer meanwhile is a success or `503` with `Retry-After`, never a 500 or a hang;
 * 2. makes the database unreachable (the proxy refuses connections and drops the open ones): once the cut is a
 *    second old, every request is answered `503` with `Retry-After`, promptly;
 * 3. restores it: commands and queries succeed again by themselves, no process restarted.
 *
 * Then the projector, the reactions and the jobs have resumed where they were: the service settles at the head
 * of the log, every read model equals a rebuild, no event was applied twice (each checkpoint's count of applied
 * events), no notification was lost or doubled, every acknowledged command is in the log once, and the sockets
 * missed nothing.
 */
import type { Pool } from 'pg';
import { startTcpProxy } from '../../test/support/tcp-proxy';
import { DEFAULT_DATABASE_URL } from '../../test/support/test-env';
import { CHECKER } from './support/harness';
import { runOutage } from './support/outage';
import { answersLine, firstSuccessAfter, judge } from './support/phases';
import type { SuiteReport } from './support/report';
import type { Role } from './support/service';

export interface PostgresOutageOptions {
  cycles: number;
  roles: readonly Role[];
  redisUrl?: string;
  writers: number;
  readers: number;
  socketsPerProject: number;
  /** How long each cycle keeps terminating the service's sessions. */
  terminateMs: number;
  /** How long each cycle keeps the database unreachable. */
  unreachableMs: number;
  log?: (line: string) => void;
}

export const POSTGRES_OUTAGE_DEFAULTS: Omit<PostgresOutageOptions, 'redisUrl'> = {
  cycles: 5,
  roles: ['api', 'api', 'projector', 'scheduler'],
  writers: 3,
  readers: 2,
  socketsPerProject: 1,
  terminateMs: 3000,
  unreachableMs: 5000,
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ends every session of the database but the suite's own; returns how many. */
const terminateSessions = async (pool: Pool, database: string): Promise<number> => {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2`,
    [database, CHECKER],
  );
  return rows[0]?.n ?? 0;
};

const isSuccessOrUnavailable = (answer: string, retryAfter: boolean) =>
  /^[24]\d\d$/.test(answer) || (answer === '503' && retryAfter);

export const runPostgresOutageSuite = async (options: PostgresOutageOptions): Promise<SuiteReport> => {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const server = new URL(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
  const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  let terminated = 0;
  let cycles = 0;
  const during = { terminate: {} as Record<string, number>, unreachable: {} as Record<string, number> };
  const recoveries: number[] = [];
  const add = (into: Record<string, number>, answers: Record<string, number>) => {
    for (const [answer, n] of Object.entries(answers)) into[answer] = (into[answer] ?? 0) + n;
  };
  const run = await runOutage(
    {
      name: 'outage_pg',
      roles: options.roles,
      redisUrl: options.redisUrl,
      serviceDatabaseUrl: (url) => {
        url.hostname = '127.0.0.1';
        url.port = String(proxy.port);
        return url.toString();
      },
      writers: options.writers,
      readers: options.readers,
      socketsPerProject: options.socketsPerProject,
      log: options.log,
      proxy,
      afterMs: 1500,
    },
    async ({ workload, pool, database }, failures) => {
      for (let cycle = 1; cycle <= options.cycles; cycle++) {
        await pause(1500);

        const terminateFrom = Date.now();
        while (Date.now() - terminateFrom < options.terminateMs) {
          terminated += await terminateSessions(pool, database.name);
          await pause(150 + Math.random() * 300);
        }
        const terminateTo = Date.now();
        const storm = judge(workload.attempts, terminateFrom, terminateTo, (a) =>
          isSuccessOrUnavailable(a.answer, a.retryAfter),
        );
        add(during.terminate, storm.answers);
        failures.push(...storm.unacceptable.map((u) => `cycle ${cycle}, sessions cut: ${u}`));
        for (const kind of ['query', 'command'] as const) {
          const at = await firstSuccessAfter(workload.attempts, kind, terminateTo);
          if (at === null) failures.push(`cycle ${cycle}: no ${kind} succeeded after the sessions were cut`);
          else recoveries.push(at - terminateTo);
        }

        await pause(1000);
        const cutAt = Date.now();
        await proxy.cut();
        await pause(options.unreachableMs);
        const restoredAt = Date.now();
        await proxy.restore();
        // A second after the cut, nothing can reach the database: every answer is a prompt 503 with Retry-After.
        const down = judge(
          workload.attempts,
          cutAt + 1000,
          restoredAt - 200,
          (a) => a.answer === '503' && a.retryAfter,
        );
        add(during.unreachable, down.answers);
        if (down.count === 0)
          failures.push(`cycle ${cycle}: no request was made while the database was unreachable`);
        failures.push(...down.unacceptable.map((u) => `cycle ${cycle}, database unreachable: ${u}`));
        for (const kind of ['query', 'command'] as const) {
          const at = await firstSuccessAfter(workload.attempts, kind, restoredAt);
          if (at === null) failures.push(`cycle ${cycle}: no ${kind} succeeded after the database came back`);
          else recoveries.push(at - restoredAt);
        }
        cycles = cycle;
        log(
          `postgres outage cycle ${cycle}/${options.cycles}: ${terminated} sessions terminated; while cut: ` +
            `${answersLine(storm.answers)}; while unreachable: ${answersLine(down.answers)}; ${failures.length} failures`,
        );
      }
    },
  );
  return {
    suite: 'outage-postgres',
    figures: {
      topology: options.roles.join(' + '),
      cycles,
      'sessions terminated (pg_terminate_backend)': terminated,
      'seconds unreachable (proxy cut)': (cycles * options.unreachableMs) / 1000,
      'answers while sessions were cut': answersLine(during.terminate),
      'answers while unreachable (from 1 s in)': answersLine(during.unreachable),
      'slowest recovery (ms)': recoveries.length > 0 ? Math.max(...recoveries) : 'n/a',
      ...run.figures(),
      failures: run.failures.length,
    },
    failures: run.failures,
    seconds: (Date.now() - started) / 1000,
  };
};
