import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateSecret } from './secrets';

describe('generated secrets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tt-secret-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('makes a long random secret on first use, readable only by its owner, and keeps it', async () => {
    const dataDir = path.join(dir, 'data');
    const first = await loadOrCreateSecret(dataDir, 'jwt-secret');
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await stat(path.join(dataDir, 'jwt-secret'))).mode & 0o077).toBe(0);
    expect(await loadOrCreateSecret(dataDir, 'jwt-secret')).toBe(first);
    expect(await loadOrCreateSecret(path.join(dir, 'other'), 'jwt-secret')).not.toBe(first);
  });

  it('gives processes starting at once the same secret', async () => {
    const secrets = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecret(dir, 'jwt-secret')));
    expect(new Set(secrets).size).toBe(1);
    expect((await readFile(path.join(dir, 'jwt-secret'), 'utf8')).trim()).toBe(secrets[0]);
  });

  it('refuses a file that holds no usable secret, saying what to do', async () => {
    await writeFile(path.join(dir, 'jwt-secret'), 'short\n');
    await expect(loadOrCreateSecret(dir, 'jwt-secret')).rejects.toThrow(/delete it/);
  });
});
