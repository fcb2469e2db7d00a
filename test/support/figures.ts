/**
 * Figures of a jest suite for the long form (`npm run test:chaos`): with CHAOS_FIGURES_DIR set, each suite writes
 * `<suite>.json` there ({ suite, figures, failures }), which the runner reads and records in docs/reliability.md.
 * Without it (the short form in `npm test`) nothing is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const recordFigures = (
  suite: string,
  figures: Record<string, number | string>,
  failures: readonly string[] = [],
): void => {
  const dir = process.env.CHAOS_FIGURES_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${suite}.json`), JSON.stringify({ suite, figures, failures }, null, 2));
};
