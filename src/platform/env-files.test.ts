/**
 * The config module is the only reader of the environment; these files are where people learn what to set.
 * Both must name every variable it reads, so a new variable cannot ship undocumented or unset in production.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from './config';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Variables docker-compose.yml may leave out, each with the reason. */
const ABSENT_FROM_COMPOSE: Record<string, string> = {
  DATA_DIR: 'only the embedded PostgreSQL uses it, and compose always sets DATABASE_URL',
};

const names = (text: string, pattern: RegExp) => new Set([...text.matchAll(pattern)].map((m) => m[1] ?? ''));
// `KEY=value` lines, commented-out ones excluded.
const dotenvNames = (text: string) => names(text, /^([A-Z][A-Z0-9_]*)=/gm);
// `KEY: value` mapping entries (compose `environment:` blocks), and `- KEY=value` list entries.
const composeNames = (text: string) => names(text, /^\s+(?:- )?([A-Z][A-Z0-9_]*)(?::|=)/gm);

describe('environment files', () => {
  it('.env.example lists every variable the config module reads', () => {
    const listed = dotenvNames(read('.env.example'));
    expect(CONFIG_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('.env.example lists no variable the config module does not read', () => {
    const known = new Set(CONFIG_VARIABLES);
    expect([...dotenvNames(read('.env.example'))].filter((name) => !known.has(name))).toEqual([]);
  });

  it('docker-compose.yml sets every variable the config module reads, but for the listed exceptions', () => {
    const set = composeNames(read('docker-compose.yml'));
    const missing = CONFIG_VARIABLES.filter((name) => !set.has(name) && !(name in ABSENT_FROM_COMPOSE));
    expect(missing).toEqual([]);
  });

  it('excuses only variables the config module still reads', () => {
    expect(Object.keys(ABSENT_FROM_COMPOSE).filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });
});
