/**
 * The long form of the reliability suites: `npm run test:chaos`. Runs each suite of SUITES in turn against the
 * PostgreSQL at DATABASE_URL and the Redis at REDIS_URL (default: the local ones, as `npm test`), prints its
 * figures (rounds, commands, kills, events checked, failures…) and writes them into docs/reliability.md, each
 * suite's block between its markers (a rerun replaces it). Exits 1 if any suite failed.
 *
 *   npm run test:chaos                          every suite, long settings
 *   npm run test:chaos -- crash                 only the named suites (any of the names below)
 *   npm run test:chaos -- --rounds 50           crash rounds (default 20; env CHAOS_ROUNDS)
 *   npm run test:chaos -- --cycles 10           outage cycles (default 5; env CHAOS_CYCLES)
 *   npm run test:chaos -- --roles all,all       the processes of the service (env CHAOS_ROLES)
 *   npm run test:chaos -- --no-doc              print only, leave docs/reliability.md alone
 *
 * Adding a suite: write a function `(settings: ChaosSettings) => Promise<SuiteReport>` (support/report.ts: a
 * short stable name, its figures in the order to print, its failures as sentences, its duration) and add it to
 * SUITES with a line saying what it does. Its short form is an ordinary jest test that calls the same function
 * with small settings and expects no failures (crash.test.ts is one). A suite that only exists as jest tests can
 * still be listed: `run` may spawn jest on its files with an environment variable for the long settings, and
 * build its report from what they write.
 */
import { cpus, hostname } from 'node:os';
import { createConnection } from 'node:net';
import { CONCURRENCY_FUZZ_SECURITY_SUITES } from './concurrency-fuzz-security';
import { CRASH_DEFAULTS, runCrashSuite } from './crash';
import { POSTGRES_OUTAGE_DEFAULTS, runPostgresOutageSuite } from './outage-postgres';
import { REDIS_OUTAGE_DEFAULTS, runRedisOutageSuite } from './outage-redis';
import { formatReport, recordReports, type SuiteReport } from './support/report';
import type { Role } from './support/service';

/** What every suite is given: the servers, and the long form's knobs (each suite reads those it has). */
export interface ChaosSettings {
  redisUrl: string;
  rounds: number;
  cycles: number;
  /** The service's processes; undefined: each suite's default. */
  roles: readonly Role[] | undefined;
  log: (line: string) => void;
}

export interface ChaosSuite {
  name: string;
  /** One line for `--help` and the page. */
  what: string;
  run(settings: ChaosSettings): Promise<SuiteReport>;
}

export const SUITES: readonly ChaosSuite[] = [
  {
    name: 'crash',
    what: 'SIGKILL every process under load, restart; acknowledged = in the log once, read models = rebuild, notifications, sockets',
    run: (s) =>
      runCrashSuite({
        ...CRASH_DEFAULTS,
        rounds: s.rounds,
        roles: s.roles ?? CRASH_DEFAULTS.roles,
        redisUrl: s.redisUrl,
        log: s.log,
      }),
  },
  {
    name: 'outage-postgres',
    what: 'pg_terminate_backend storms and an unreachable database (proxy): 503 + Retry-After, then recovery by itself',
    run: (s) =>
      runPostgresOutageSuite({
        ...POSTGRES_OUTAGE_DEFAULTS,
        cycles: s.cycles,
        roles: s.roles ?? POSTGRES_OUTAGE_DEFAULTS.roles,
        redisUrl: s.redisUrl,
        log: s.log,
      }),
  },
  {
    name: 'outage-redis',
    what: 'Redis down and back (proxy) under load: commands, reads, logins unaffected; sockets resume with no gap',
    run: (s) =>
      runRedisOutageSuite({
        ...REDIS_OUTAGE_DEFAULTS,
        cycles: s.cycles,
        roles: s.roles ?? REDIS_OUTAGE_DEFAULTS.roles,
        redisUrl: s.redisUrl,
        log: s.log,
      }),
  },
  // Jest suites run again with long settings: src/reliability/concurrency-fuzz-security.ts.
  ...CONCURRENCY_FUZZ_SECURITY_SUITES,
];

const USAGE = `usage: npm run test:chaos -- [suite…] [--rounds N] [--cycles N] [--roles r1,r2,…] [--no-doc]
suites:
${SUITES.map((s) => `  ${s.name.padEnd(18)} ${s.what}`).join('\n')}`;

interface Arguments {
  suites: ChaosSuite[];
  rounds: number;
  cycles: number;
  roles: Role[] | undefined;
  doc: boolean;
}

const positive = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, not ${value}`);
  return n;
};

const ROLES = new Set(['all', 'api', 'projector', 'scheduler']);

const parseRoles = (value: string | undefined): Role[] | undefined => {
  if (value === undefined || value === '') return undefined;
  const roles = value.split(',').map((r) => r.trim());
  const unknown = roles.filter((r) => !ROLES.has(r));
  if (unknown.length > 0)
    throw new Error(`unknown roles: ${unknown.join(', ')} (all, api, projector, scheduler)`);
  return roles as Role[];
};

const parseArguments = (argv: readonly string[]): Arguments => {
  const names: string[] = [];
  let rounds = process.env.CHAOS_ROUNDS;
  let cycles = process.env.CHAOS_CYCLES;
  let roles = process.env.CHAOS_ROLES;
  let doc = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--rounds') rounds = argv[++i];
    else if (arg === '--cycles') cycles = argv[++i];
    else if (arg === '--roles') roles = argv[++i];
    else if (arg === '--no-doc') doc = false;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else names.push(arg);
  }
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown suites: ${unknown.join(', ')}`);
  return {
    suites: names.length === 0 ? [...SUITES] : SUITES.filter((s) => names.includes(s.name)),
    rounds: positive(rounds, '--rounds', CRASH_DEFAULTS.rounds),
    cycles: positive(cycles, '--cycles', POSTGRES_OUTAGE_DEFAULTS.cycles),
    roles: parseRoles(roles),
    doc,
  };
};

/** Whether something listens at the URL's host and port (the suites need both servers). */
const reachable = (url: string, defaultPort: number): Promise<boolean> =>
  new Promise((resolve) => {
    const { hostname: host, port } = new URL(url);
    const socket = createConnection({ host, port: Number(port || defaultPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

const main = async (): Promise<number> => {
  let args: Arguments;
  try {
    if (process.argv.includes('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    args = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  for (const [name, url, port] of [
    ['PostgreSQL (DATABASE_URL)', databaseUrl, 5432],
    ['Redis (REDIS_URL)', redisUrl, 6379],
  ] as const) {
    if (!(await reachable(url, port))) {
      process.stderr.write(`${name} does not answer at ${url}: the chaos suites need it running\n`);
      return 1;
    }
  }
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const settings: ChaosSettings = {
    redisUrl,
    rounds: args.rounds,
    cycles: args.cycles,
    roles: args.roles,
    log,
  };
  const reports: SuiteReport[] = [];
  for (const suite of args.suites) {
    log(`${suite.name}: ${suite.what}`);
    const report = await suite.run(settings);
    reports.push(report);
    process.stdout.write(`${formatReport(report)}\n\n`);
  }
  const command = [
    'npm run test:chaos',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  if (args.doc) {
    recordReports(reports, { command, when: new Date(), machine: `${hostname()}, ${cpus().length} cores` });
    log('figures written to docs/reliability.md');
  }
  const failed = reports.filter((r) => r.failures.length > 0).map((r) => r.suite);
  log(failed.length === 0 ? 'every suite passed' : `failed: ${failed.join(', ')}`);
  return failed.length === 0 ? 0 : 1;
};

// Run as a script only: importing the list (a test, another tool) starts nothing.
if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
