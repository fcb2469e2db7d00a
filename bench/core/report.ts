/** The table printed at the end (Markdown, so it pastes into bench/README.md) and `latest.json`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Machine, machineLine } from './machine';
import type { RowResult } from './row';
import type { Sizes } from './sizes';

export interface Report {
  startedAt: string;
  mode: Sizes['mode'];
  sizes: Sizes;
  machine: Machine;
  rows: RowResult[];
}

const verdict = (row: RowResult): string => {
  if (row.error) return 'error';
  if (row.holds === null) return 'n/a';
  return row.holds ? 'yes' : 'no';
};

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export const table = (report: Report): string => {
  const lines = [
    `${report.mode} run, ${report.startedAt}; ${machineLine(report.machine)}`,
    '',
    '| row | target | measured (median of pairs) | baseline (same run) | holds |',
    '|---|---|---|---|---|',
    ...report.rows.map(
      (row) =>
        `| ${row.name} | ${cell(row.target)} | ${cell(row.error ? `error: ${row.error}` : row.summary)} | ` +
        `${cell(row.baselineSummary ?? '')} | ${verdict(row)} |`,
    ),
  ];
  const notes = report.rows.flatMap((row) => row.notes.map((note) => `- ${row.name}: ${note}`));
  return [...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
};

export const writeReport = (report: Report, file: string): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
};
