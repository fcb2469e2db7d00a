/**
 * Secrets the embedded default makes for itself, so that a deployment nobody configured never runs with a
 * secret anyone can read in the source: generated on first start, kept in the data folder (owner-only), the same
 * on every later start (tokens stay valid across restarts), and shared by processes using the same folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const loadOrCreateSecret = async (dataDir: string, name: string): Promise<string> => {
  const file = path.join(dataDir, name);
  try {
    return await readSecret(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // `wx`: of two processes starting at once, one writes and the other reads what it wrote.
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readSecret(file);
};

const readSecret = async (file: string): Promise<string> => {
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret.length < 32) throw new Error(`${file} holds no usable secret: delete it to make a new one`);
  return secret;
};
