/**
 * What a reliability suite reports (its figures and failures) and where the long form records it: a generated
 * block per suite in docs/reliability.md, between markers, so a rerun of a suite replaces its own block and
 * leaves the rest of the page (and the other suites' blocks) as they were.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SuiteReport {
  /** Short and stable: it names the suite's block in docs/reliability.md (`crash`, `outage-redis`, …). */
  suite: string;
  /** What was done and checked, in the order to print: rounds, commands, kills, events checked, … */
  figures: Record<string, number | string>;
  /** Empty when everything held. */
  failures: string[];
  seconds: number;
}

export const RELIABILITY_DOC = path.resolve(__dirname, '..', '..', '..', 'docs', 'reliability.md');
const GENERATED_BEGIN = '<!-- chaos:generated:begin -->';
const GENERATED_END = '<!-- chaos:generated:end -->';
const begin = (suite: string) => `<!-- chaos:${suite}:begin -->`;
const end = (suite: string) => `<!-- chaos:${suite}:end -->`;

/** The report as lines for a terminal. */
export const formatReport = (report: SuiteReport): string => {
  const figures = Object.entries(report.figures).map(([name, value]) => `  ${name.padEnd(28)} ${value}`);
  const verdict = report.failures.length === 0 ? 'passed' : `FAILED (${report.failures.length})`;
  return [
    `${report.suite}: ${verdict} in ${report.seconds.toFixed(0)} s`,
    ...figures,
    ...report.failures.slice(0, 50).map((f) => `  failure: ${f}`),
  ].join('\n');
};

/** The suite's block: when and how it ran, its figures as a table, its failures. */
const block = (report: SuiteReport, context: { command: string; when: Date; machine: string }): string =>
  [
    begin(report.suite),
    `### ${report.suite}`,
    '',
    `\`${context.command}\`, ${context.when.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${context.machine}: ` +
      `**${report.failures.length === 0 ? 'passed' : `${report.failures.length} failures`}** in ` +
      `${Math.round(report.seconds)} s.`,
    '',
    '| figure | value |',
    '|---|---|',
    ...Object.entries(report.figures).map(([name, value]) => `| ${name} | ${value} |`),
    ...(report.failures.length === 0
      ? []
      : ['', 'Failures:', '', ...report.failures.slice(0, 20).map((f) => `- ${f.replace(/\n/g, ' ')}`)]),
    end(report.suite),
  ].join('\n');

/**
 * Writes each report's block into the generated section of docs/reliability.md (made if missing), replacing the
 * suite's earlier block; other suites' blocks stay.
 */
export const recordReports = (
  reports: readonly SuiteReport[],
  context: { command: string; when: Date; machine: string },
  file = RELIABILITY_DOC,
): void => {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability\n';
  if (!text.includes(GENERATED_BEGIN)) text = `${text.trimEnd()}\n\n${GENERATED_BEGIN}\n${GENERATED_END}\n`;
  for (const report of reports) {
    const fresh = block(report, context);
    const from = text.indexOf(begin(report.suite));
    const to = text.indexOf(end(report.suite));
    if (from >= 0 && to > from)
      text = text.slice(0, from) + fresh + text.slice(to + end(report.suite).length);
    else {
      const at = text.indexOf(GENERATED_END);
      text = `${text.slice(0, at)}${fresh}\n\n${text.slice(at)}`;
    }
  }
  writeFileSync(file, text);
};

/** Attempts as a short line: runs of the same answer folded (`ECONNREFUSED×40 201`). */
export const attemptsLine = (attempts: readonly string[]): string => {
  const parts: string[] = [];
  for (let i = 0; i < attempts.length; ) {
    let j = i;
    while (j < attempts.length && attempts[j] === attempts[i]) j += 1;
    parts.push(j - i > 1 ? `${attempts[i]}×${j - i}` : attempts[i]!);
    i = j;
  }
  return parts.join(' ');
};
