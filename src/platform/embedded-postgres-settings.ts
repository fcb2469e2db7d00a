/**
 * What the embedded PostgreSQL must remember across restarts, in `<dataDir>/postgres.json`: the superuser's
 * generated password, the last port (a stable URL), which process launched the running postmaster, and where
 * the cluster lives when it cannot live in the data folder.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const settingsSchema = z.object({
  password: z.string().min(1),
  port: z.number().int().optional(),
  /** Tells an orphaned postmaster (its launcher died) from one still in use. */
  ownerPid: z.number().int().optional(),
  /**
   * The cluster's folder when it is not `<dataDir>/postgres` (the `postgres` user could not enter the data
   * folder). Absent in settings files written before it existed: those clusters are in the data folder.
   */
  cluster: z.string().min(1).optional(),
});
export type EmbeddedSettings = z.infer<typeof settingsSchema>;

export const settingsFile = (dataDir: string): string => path.join(dataDir, 'postgres.json');

export const readSettings = async (dataDir: string): Promise<EmbeddedSettings | undefined> => {
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

/** Creates the data folder. As root, the `postgres` user must be able to traverse it (o+x), never list or read. */
export const makeDataDir = async (dataDir: string, asRoot: boolean): Promise<void> => {
  await mkdir(dataDir, { recursive: true, mode: asRoot ? 0o711 : 0o700 });
  if (asRoot) {
    const { mode } = await stat(dataDir);
    if ((mode & 0o001) === 0) await chmod(dataDir, (mode & 0o7777) | 0o001);
  }
};

/** A new superuser password, saved before initdb so a crash in between never strands a cluster. */
export const freshSettings = async (dataDir: string): Promise<EmbeddedSettings> => {
  const fresh = { password: randomBytes(24).toString('base64url') };
  await writeSettings(dataDir, fresh);
  return fresh;
};
