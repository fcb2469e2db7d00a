import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { createShutdown, SHUTDOWN_PHASES } from './shutdown';

const capture = () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
};

/** A shutdown wired to a fake signal source and a fake exit that resolves `exited`. */
const setup = (timeoutMs = 1000) => {
  const { logger, lines } = capture();
  const signals = new EventEmitter();
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  const exit = jest.fn((code: number) => resolveExit(code));
  const shutdown = createShutdown({ logger, timeoutMs, exit, signals });
  return { shutdown, signals, exit, exited, lines };
};

describe('graceful shutdown', () => {
  it('on SIGTERM runs the phases in order, the steps of one phase together, then exits 0', async () => {
    const { shutdown, signals, exited } = setup();
    const order: string[] = [];
    const step =
      (name: string, ms = 0) =>
      async () => {
        order.push(`${name}:start`);
        await sleep(ms);
        order.push(`${name}:end`);
      };
    // Registered out of order on purpose.
    shutdown.register('embedded postgres', step('db'), { phase: 'stop-database' });
    shutdown.register('pools', step('pools'), { phase: 'close-pools' });
    shutdown.register('projector', step('projector', 20), { phase: 'drain' });
    shutdown.register('websockets', step('ws', 20), { phase: 'close-connections' });
    shutdown.register('http', step('http', 20), { phase: 'stop-accepting' });
    shutdown.register('jobs', step('jobs', 5), { phase: 'stop-accepting' });
    shutdown.install();

    expect(shutdown.isShuttingDown()).toBe(false);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(shutdown.isShuttingDown()).toBe(true);
    expect(await exited).toBe(0);
    expect(order).toEqual([
      'http:start',
      'jobs:start',
      'jobs:end',
      'http:end',
      'ws:start',
      'ws:end',
      'projector:start',
      'projector:end',
      'pools:start',
      'pools:end',
      'db:start',
      'db:end',
    ]);
  });

  it('logs a failing step and still runs the rest, exiting 0', async () => {
    const { shutdown, signals, exited, lines } = setup();
    const stopped = jest.fn();
    shutdown.register(
      'websockets',
      () => {
        throw new Error('socket server already closed');
      },
      { phase: 'close-connections' },
    );
    shutdown.register('flaky pool', () => Promise.reject(new Error('pool gone')), { phase: 'close-pools' });
    shutdown.register('embedded postgres', stopped, { phase: 'stop-database' });
    shutdown.install();
    signals.emit('SIGINT', 'SIGINT');
    expect(await exited).toBe(0);
    expect(stopped).toHaveBeenCalledTimes(1);
    const failures = lines
      .filter((line) => line.msg === 'shutdown step failed; continuing')
      .map((l) => l.step);
    expect(failures).toEqual(['websockets', 'flaky pool']);
  });

  it('exits 1 when the bounded time runs out, naming the steps still running', async () => {
    const { shutdown, signals, exited, lines } = setup(100);
    const later = jest.fn();
    shutdown.register('projector', () => new Promise<void>(() => undefined), { phase: 'drain' });
    shutdown.register('pools', later, { phase: 'close-pools' });
    shutdown.install();
    const started = Date.now();
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(later).not.toHaveBeenCalled();
    expect(lines.find((line) => line.msg === 'shutdown timed out')).toMatchObject({ pending: ['projector'] });
  });

  it('runs once however many signals arrive, and hooks the signals once however often installed', async () => {
    const { shutdown, signals, exit, exited } = setup();
    const step = jest.fn(async () => {
      await sleep(20);
    });
    shutdown.register('http', step, { phase: 'stop-accepting' });
    shutdown.install();
    shutdown.install();
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    expect(signals.listenerCount('SIGINT')).toBe(1);
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGTERM', 'SIGTERM');
    await exited;
    await sleep(10);
    expect(step).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('terminates with the exit code asked for, and run() alone never exits', async () => {
    const { shutdown, exit } = setup();
    shutdown.register('http', () => undefined, { phase: 'stop-accepting' });
    expect(await shutdown.run('test')).toEqual({ completed: true, failed: [] });
    expect(exit).not.toHaveBeenCalled();
    await shutdown.terminate('fatal error', 1);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('names the phases in the order they run', () => {
    expect(SHUTDOWN_PHASES).toEqual([
      'stop-accepting',
      'close-connections',
      'drain',
      'close-pools',
      'stop-database',
    ]);
  });
});
