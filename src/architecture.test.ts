/**
 * ARCHITECTURE.md's import rules, checked on every file of `src/`: each part imports only the parts it may (the
 * changes made on purpose are recorded in docs/decisions.md), and nothing in `src/` imports `test/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = __dirname;

/** Part → the parts it may import (besides itself and libraries). */
const ALLOWED: Record<string, readonly string[]> = {
  domain: [],
  shared: [],
  accounts: ['shared'],
  eventstore: ['domain', 'shared'],
  commands: ['domain', 'eventstore', 'accounts', 'shared'],
  projections: ['domain', 'eventstore', 'shared', 'platform'],
  realtime: ['projections', 'eventstore', 'shared', 'jobs'],
  api: ['commands', 'projections', 'domain', 'eventstore', 'accounts', 'shared', 'jobs', 'storage'],
  jobs: ['commands', 'projections', 'domain', 'eventstore', 'accounts', 'shared', 'platform', 'storage'],
  // Attachment bytes: the storage port and its adapters (filesystem, S3), used by the API and the cleanup job.
  storage: ['shared'],
  platform: ['shared'],
  // The admin command line: a composition root of its own (config, database, log, commands), without the API.
  cli: ['commands', 'projections', 'domain', 'eventstore', 'accounts', 'shared', 'platform'],
};

/**
 * `src/reliability/` is test code kept beside the source: the crash, outage and other long suites and their support,
 * which drive the whole service as processes (and use test/support). Like the test files, it is no part of the app.
 */
const TEST_CODE = path.join(SRC, 'reliability');

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (full === TEST_CODE) return [];
    if (entry.isDirectory()) return files(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);

const partOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0]!.replace(/\.ts$/, '');

describe('import rules', () => {
  const sources = files(SRC);

  it('has parts it knows the rules of', () => {
    const parts = new Set(sources.map(partOf));
    const composition = new Set(['main', 'system', 'migrations', 'migrate']);
    expect([...parts].filter((p) => !(p in ALLOWED) && !composition.has(p))).toEqual([]);
  });

  it.each(Object.keys(ALLOWED))('lets %s import only what it may', (part) => {
    const broken: string[] = [];
    for (const file of sources.filter((f) => partOf(f) === part)) {
      for (const target of importsOf(file).filter((i) => i.startsWith('.'))) {
        const resolved = path.resolve(path.dirname(file), target);
        if (!resolved.startsWith(SRC)) {
          broken.push(`${path.relative(SRC, file)} imports ${target} (outside src)`);
          continue;
        }
        const other = partOf(resolved);
        if (other !== part && !ALLOWED[part]!.includes(other))
          broken.push(`${path.relative(SRC, file)} imports ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('never imports test code from src', () => {
    const offenders = files(SRC).filter((file) => importsOf(file).some((i) => /(^|\/)test\//.test(i)));
    expect(offenders).toEqual([]);
  });
});
