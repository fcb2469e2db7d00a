/**
 * A reliability suite's short form as a jest test: the suite's log kept, and shown when the suite fails or does not
 * finish in time. Jest's own timeout says only that the test took too long; this says how far the suite got.
 */
import type { SuiteReport } from '../../src/reliability/support/report';

export type SuiteLog = (line: string) => void;

/**
 * Runs `suite` with a log, and fails with that log if the suite has not finished after `limitMs` (set it a little
 * under the test's timeout). The log is printed too when the suite reports failures, or passes but takes more than a
 * third of `limitMs` (where the time went).
 */
export const runLoggedSuite = async (
  suite: (log: SuiteLog) => Promise<SuiteReport>,
  limitMs: number,
): Promise<SuiteReport> => {
  const started = Date.now();
  const lines: string[] = [];
  const log: SuiteLog = (line) =>
    lines.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`);
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`the suite had not finished after ${limitMs / 1000} s; its log:\n${lines.join('\n')}`),
        ),
      limitMs,
    );
  });
  try {
    const report = await Promise.race([suite(log), overdue]);
    if (report.failures.length > 0) console.error(`the suite failed; its log:\n${lines.join('\n')}`);
    else if (Date.now() - started > limitMs / 3)
      console.warn(
        `the suite passed but took ${(Date.now() - started) / 1000} s; its log:\n${lines.join('\n')}`,
      );
    return report;
  } finally {
    clearTimeout(timer);
  }
};
