/**
 * Graceful shutdown: on SIGTERM or SIGINT, run the registered steps phase by phase, then exit 0 — or exit 1
 * once the bounded time is spent. A failing step is logged and the next ones still run: a broken WebSocket
 * server must not keep the projector's batch from finishing or the database from stopping.
 */
import { DEFAULTS } from './config';
import type { Logger } from './logger';

/**
 * In order: stop taking new work (HTTP listener, job pickup, readiness goes 503); close what clients hold open
 * (WebSockets with 1001); let in-flight work finish (the projector's current batch); close pools and clients;
 * stop the embedded database last, once nothing uses it.
 */
export const SHUTDOWN_PHASES = [
  'stop-accepting',
  'close-connections',
  'drain',
  'close-pools',
  'stop-database',
] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

export type ShutdownStep = () => Promise<void> | void;

export interface ShutdownResult {
  /** False when the time ran out before every step had finished. */
  completed: boolean;
  /** Names of the steps that threw (they are logged too). */
  failed: string[];
}

export interface ShutdownOptions {
  logger: Logger;
  /** Bound on the whole shutdown. Keep it below the orchestrator's grace period (compose: stop_grace_period). */
  timeoutMs?: number;
  /** `process.exit` unless a test injects one. */
  exit?: (code: number) => void;
  /** Where SIGTERM and SIGINT arrive: the process unless a test injects an emitter. */
  signals?: { on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown };
}

export interface Shutdown {
  /** Steps of one phase run concurrently; phases run in SHUTDOWN_PHASES order. */
  register(name: string, step: ShutdownStep, options: { phase: ShutdownPhase }): void;
  /** Runs every phase, once: later calls get the first call's result. Does not exit. */
  run(reason: string): Promise<ShutdownResult>;
  /** Runs every phase, then exits with `exitCode` (1 if the time ran out). */
  terminate(reason: string, exitCode?: number): Promise<void>;
  /** Hooks SIGTERM and SIGINT to `terminate` (0). Calling it again does nothing. */
  install(): void;
  /** True from the first signal on: readiness can report 503 so load balancers stop sending requests. */
  isShuttingDown(): boolean;
}

type Steps = Map<ShutdownPhase, { name: string; step: ShutdownStep }[]>;

/** Runs the phases in order, the steps of each at once; a failing step is logged and the rest still run. */
const runPhases = async (steps: Steps, logger: Logger, pending: Set<string>, failed: string[]) => {
  for (const phase of SHUTDOWN_PHASES) {
    // Read at the start of the phase: a step registered during shutdown for a later phase still runs.
    const phaseSteps = steps.get(phase) ?? [];
    if (phaseSteps.length === 0) continue;
    logger.info({ phase, steps: phaseSteps.map((s) => s.name) }, 'shutdown phase');
    await Promise.all(
      phaseSteps.map(async ({ name, step }) => {
        pending.add(name);
        try {
          await step();
        } catch (error) {
          failed.push(name);
          logger.error({ err: error, step: name, phase }, 'shutdown step failed; continuing');
        } finally {
          pending.delete(name);
        }
      }),
    );
  }
};

/** True when `work` settles within `timeoutMs`, false when the time runs out first. */
const finishesWithin = async (work: Promise<unknown>, timeoutMs: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const completed = await Promise.race([work.then(() => true as const), deadline]);
  clearTimeout(timer);
  return completed;
};

export const createShutdown = (options: ShutdownOptions): Shutdown => {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.shutdownTimeoutMs;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  const steps: Steps = new Map(SHUTDOWN_PHASES.map((phase) => [phase, []]));
  let running: Promise<ShutdownResult> | undefined;
  let installed = false;

  const run = (reason: string): Promise<ShutdownResult> => {
    running ??= (async () => {
      const started = Date.now();
      logger.info({ reason, timeoutMs }, 'shutting down');
      const pending = new Set<string>();
      const failed: string[] = [];
      const completed = await finishesWithin(runPhases(steps, logger, pending, failed), timeoutMs);
      if (completed) logger.info({ ms: Date.now() - started, failed }, 'shutdown complete');
      else logger.error({ timeoutMs, pending: [...pending] }, 'shutdown timed out');
      return { completed, failed };
    })();
    return running;
  };

  const terminate = async (reason: string, exitCode = 0) => {
    const result = await run(reason);
    exit(result.completed ? exitCode : 1);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C can reach us twice (directly and relayed by npm/tsx); the deadline bounds it anyway.
    if (running) {
      logger.warn({ signal }, 'already shutting down');
      return;
    }
    void terminate(signal);
  };

  return {
    register(name, step, { phase }) {
      steps.get(phase)?.push({ name, step });
    },
    run,
    terminate,
    install() {
      if (installed) return;
      installed = true;
      signals.on('SIGTERM', onSignal);
      signals.on('SIGINT', onSignal);
    },
    isShuttingDown: () => running !== undefined,
  };
};
