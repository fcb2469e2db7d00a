/**
 * The crash suite (QUALITY.md, "Nothing acknowledged is lost" and "Exactly once"). The whole service runs as its
 * real processes (by default `api` ×2, `projector`, `scheduler`) on one database and the real Redis under a prefix
 * of its own. Writers create and update issues and add and remove members over HTTP, every request with its
 * `X-Request-Id` and `Idempotency-Key`; WebSocket clients follow each project's room. Each round, at a random
 * moment under that load, every process is killed with SIGKILL, then started again; the writers retry every
 * request that got no answer until it gets one, and the clients resume with `since`. Then, each round:
 *
 * - every request acknowledged with a 2xx is in the log, every refused one is not, none is in it twice;
 * - the read models equal the log folded from scratch (carried forward round by round; at the end, once more
 *   into a fresh database);
 * - the notifications are exactly those due (none lost, none doubled), removals released nothing twice;
 * - every client got exactly its project's feed: nothing missed, nothing twice, in order;
 * - no process died by itself or logged an unhandled rejection.
 */
import { startHarness, type Harness } from './support/harness';
import { foldFromScratch, liveTables, tableDifferences } from './support/read-models';
import type { SuiteReport } from './support/report';
import type { Role } from './support/service';

export interface CrashOptions {
  rounds: number;
  /** Issue writers (one more changes membership). */
  writers: number;
  /** Resuming WebSocket clients per project. */
  socketsPerProject: number;
  roles: readonly Role[];
  /** Load before each kill: a random time between these, in milliseconds. */
  loadMs: readonly [number, number];
  /** The processes are killed one after another within this long (0: all at once). */
  killSpreadMs: number;
  redisUrl: string;
  /** Progress lines (the long form prints them). */
  log?: (line: string) => void;
}

export const CRASH_DEFAULTS: Omit<CrashOptions, 'redisUrl'> = {
  rounds: 20,
  writers: 4,
  socketsPerProject: 2,
  roles: ['api', 'api', 'projector', 'scheduler'],
  loadMs: [500, 4000],
  killSpreadMs: 300,
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([low, high]: readonly [number, number]) => low + Math.random() * (high - low);

export const runCrashSuite = async (options: CrashOptions): Promise<SuiteReport> => {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const failures: string[] = [];
  const fail = (round: number | 'end', found: readonly string[]) =>
    failures.push(...found.map((f) => `round ${round}: ${f}`));
  let harness: Harness | null = null;
  let kills = 0;
  let rounds = 0;
  const checked = { ledger: 0, readModels: 0, notifications: 0, messages: 0 };
  try {
    harness = await startHarness({
      name: 'crash',
      roles: options.roles,
      redisUrl: options.redisUrl,
      writers: options.writers,
      socketsPerProject: options.socketsPerProject,
      log: options.log,
    });
    const { service, workload, knex, store } = harness;
    for (let round = 1; round <= options.rounds; round++) {
      workload.resume();
      await pause(between(options.loadMs));
      kills += await service.kill(Math.random() < 0.5 ? 0 : options.killSpreadMs);
      await pause(Math.random() * 500);
      await service.start();
      // Every request without a final answer is retried (to any process) until it has one.
      await workload.pause();
      rounds = round;

      const results = await harness.check();
      for (const result of Object.values(results)) fail(round, result.failures);
      fail(round, workload.complaints.splice(0));
      checked.ledger = results.ledger.checked;
      checked.readModels = results.readModels.checked;
      checked.notifications = results.notifications.checked;
      checked.messages = results.sockets.checked;
      const figures = workload.figures();
      log(
        `crash round ${round}/${options.rounds}: ${figures.commands} commands (${figures.retried} retried after ` +
          `no answer), ${kills} kills, ${checked.readModels} events folded, ${checked.notifications} ` +
          `notifications, ${checked.messages} socket messages; ${failures.length} failures`,
      );
      if (failures.length > 0) break;
    }

    // Once more from scratch, into a fresh database: the whole log against the live tables.
    const live = await liveTables(knex);
    const differences = tableDifferences(live.tables, await foldFromScratch(store, live.position));
    fail(
      'end',
      differences.map((d) => `final rebuild differs: ${d}`),
    );
  } catch (error) {
    failures.push(`the suite stopped: ${(error as Error).stack ?? String(error)}`);
  } finally {
    if (harness) for (const crash of await harness.close()) failures.push(`the service: ${crash}`);
  }
  const figures = harness?.workload.figures();
  return {
    suite: 'crash',
    figures: {
      topology: options.roles.join(' + '),
      rounds,
      'processes killed (SIGKILL)': kills,
      'commands (logical requests)': figures?.commands ?? 0,
      'commands retried after no answer': figures?.retried ?? 0,
      'attempts sent': figures?.attempts ?? 0,
      'acknowledged (2xx)': figures?.acknowledged ?? 0,
      'refused (4xx)': figures?.refused ?? 0,
      'events checked by request id': checked.ledger,
      'events folded and compared': checked.readModels,
      'notifications checked': checked.notifications,
      'socket messages checked': checked.messages,
      'socket resumes': harness?.sockets.reduce((n, s) => n + Math.max(0, s.connections - 1), 0) ?? 0,
      failures: failures.length,
    },
    failures,
    seconds: (Date.now() - started) / 1000,
  };
};
