/**
 * What the embedded PostgreSQL must remember across restarts, in `<dataDir>/postgres.json`: the superuser's
 * generated password, the last port (a stable URL), and which process launched the running postmaster.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const settingsSchema = z.object({
  password: z.string().min(1),
  port: z.number().int().optional(),
  /** Tells an orphaned postmaster (its launcher died) from one still in use. */
  ownerPid: z.number().int().optional(),
});
export type EmbeddedSettings = z.infer<typeof settingsSchema>;

const settingsFile = (dataDir: string) => path.join(dataDir, 'postgres.json');

const readSettings = async (dataDir: string): Promise<EmbeddedSettings | undefined> => {
  try {
    return settingsSchema.parse(JSON.parse(await readFile(settingsFile(dataDir), 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${settingsFile(dataDir)} is unreadable: ${(error as Error).message}`);
  }
};

/** Only the owner may read it: it holds the superuser's password. */
export const writeSettings = (dataDir: string, settings: EmbeddedSettings): Promise<void> =>
  writeFile(settingsFile(dataDir), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });

/**
 * Creates the data folder and reads its settings, generating a password the first time. Refuses a cluster
 * whose password file is gone: nothing could log in to it.
 */
export const prepareDataDir = async (
  dataDir: string,
  cluster: string,
  asRoot: boolean,
): Promise<EmbeddedSettings> => {
  // As root, the `postgres` user must be able to traverse into the cluster (o+x), never list or read.
  await mkdir(dataDir, { recursive: true, mode: asRoot ? 0o711 : 0o700 });
  if (asRoot) {
    const { mode } = await stat(dataDir);
    if ((mode & 0o001) === 0) await chmod(dataDir, (mode & 0o7777) | 0o001);
  }
  const settings = await readSettings(dataDir);
  if (settings) return settings;
  if (existsSync(path.join(cluster, 'PG_VERSION'))) {
    throw new Error(
      `${cluster} holds a cluster but ${settingsFile(dataDir)} (its password) is missing: restore it, or delete ${dataDir} to start afresh`,
    );
  }
  const fresh = { password: randomBytes(24).toString('base64url') };
  await writeSettings(dataDir, fresh); // before initdb, so a crash in between never strands a cluster
  return fresh;
};
