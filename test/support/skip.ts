/**
 * Suites and tests that a run may not be able to run (no Redis, no MongoDB, no Chromium, not root…): given the
 * reason, they are skipped and the reason is printed where it happens, `Did not run (<reason>): <file>: <title>`,
 * so a skip is never a silent pass; without one, they run. Every skip in the tests goes through here.
 */
import path from 'node:path';

/** `<file>: <title>`, the file relative to the working directory. */
export const notRunLine = (title: string): string =>
  `${path.relative(process.cwd(), expect.getState().testPath ?? 'unknown file')}: ${title}`;

const sayNotRun = (reason: string, title: string) =>
  process.stdout.write(`Did not run (${reason}): ${notRunLine(title)}\n`);

/** `describe`, or, when `reason` says why this run cannot, a skipped one with the reason printed. */
export const describeUnless = (reason: string | null | undefined, title: string, fn: () => void): void => {
  if (reason) {
    sayNotRun(reason, title);
    describe.skip(title, fn);
  } else {
    describe(title, fn);
  }
};

/** `it`, or, when `reason` says why this run cannot, a skipped one with the reason printed. */
export const itUnless = (
  reason: string | null | undefined,
  title: string,
  fn: () => Promise<unknown>,
  timeout?: number,
): void => {
  if (reason) {
    sayNotRun(reason, title);
    it.skip(title, fn, timeout);
  } else {
    it(title, fn, timeout);
  }
};
