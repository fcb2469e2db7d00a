/** The repository's deployment files, read as compose reads them, for the tests that check them. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const root = path.resolve(__dirname, '..', '..');

/** A file of the repository, by its path from the root. */
export const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: unknown;
  ports?: unknown[];
  environment?: Record<string, unknown> | string[];
  volumes?: unknown[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
}

export interface Compose {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
}

/** A compose file, with YAML merge keys resolved as compose resolves them. */
export const loadCompose = (file: string): Compose => parse(read(file), { merge: true }) as Compose;

/** Every string in a parsed YAML document, keys included (comments are not part of it). */
export const strings = (node: unknown): string[] => {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object')
    return Object.entries(node).flatMap(([key, value]) => [key, ...strings(value)]);
  return [];
};
