/**
 * Unhandled rejections and uncaught exceptions in this test process (the app under test runs in it), seen by
 * handlers on the real `process`: jest gives each test file a copy of it, whose listeners the runtime never
 * calls. `useUnhandledWatch()` fails the suite's test after which any fired (jest-circus also fails the running
 * test on its own; this names what fired, and catches what happens between tests).
 */
import Module from 'node:module';

const realProcess = (): NodeJS.Process =>
  (Module as unknown as { _load(request: string, parent: null): NodeJS.Process })._load('process', null);

export interface UnhandledWatch {
  readonly fired: unknown[];
  stop(): void;
}

export const watchUnhandled = (): UnhandledWatch => {
  const target = realProcess();
  const fired: unknown[] = [];
  const onRejection = (reason: unknown) => fired.push(reason);
  // The monitor observes an uncaught exception without changing what happens to it.
  const onException = (error: unknown) => fired.push(error);
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtExceptionMonitor', onException);
  return {
    fired,
    stop() {
      target.off('unhandledRejection', onRejection);
      target.off('uncaughtExceptionMonitor', onException);
    },
  };
};

/** Watches for the whole suite; after each test, what fired (if anything) fails it and is named. */
export const useUnhandledWatch = (): UnhandledWatch => {
  const watch: { current?: UnhandledWatch } = {};
  beforeAll(() => {
    watch.current = watchUnhandled();
  });
  afterEach(() => {
    const fired = watch.current?.fired.splice(0) ?? [];
    expect(fired.map((f) => (f instanceof Error ? (f.stack ?? f.message) : String(f)))).toEqual([]);
  });
  afterAll(() => watch.current?.stop());
  return {
    get fired() {
      return watch.current?.fired ?? [];
    },
    stop: () => watch.current?.stop(),
  };
};
