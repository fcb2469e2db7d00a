/**
 * Where the embedded cluster lives: in `<dataDir>/postgres` whenever PostgreSQL can reach it there.
 *
 * As root, PostgreSQL runs as the `postgres` user, who cannot enter a data folder below a folder only root may
 * enter (a clone in /root, a `mktemp -d` folder). We do not open such a folder up: that is someone's security
 * choice. The cluster then gets a home of its own, `<root>/<key>/postgres`, keyed by the data folder's real path,
 * and `postgres.json` records where, so later starts never guess.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Account, canTraverse, SUPERUSER } from './embedded-postgres-cluster';
import {
  type EmbeddedSettings,
  freshSettings,
  readSettings,
  settingsFile,
} from './embedded-postgres-settings';
import type { Logger } from './logger';
import { clearPostmasterLeftovers } from './postmaster-lock';

/** Where a relocated cluster may go, best first: a persistent folder, else (read-only /var/lib) a temporary one. */
export const defaultClusterRoots = (): string[] => [
  '/var/lib/team-tracker/clusters',
  path.join(tmpdir(), 'team-tracker-clusters'),
];

export const embeddedClusterDir = (dataDir: string): string => path.join(path.resolve(dataDir), 'postgres');

const hasCluster = (cluster: string) => existsSync(path.join(cluster, 'PG_VERSION'));

const OWNER_FILE = 'data-folder.json';

/** The same checkout at the same path finds its home again; 16 hex digits keep the path short. */
const relocatedHome = (root: string, realDataDir: string) =>
  path.join(root, createHash('sha256').update(realDataDir).digest('hex').slice(0, 16));

/**
 * Which data folder a relocated cluster was made for. The path alone cannot tell a data folder that was
 * deleted and made again (by us, or by whatever else writes there first); its inode and birth time can.
 */
interface Owner {
  dataDir: string;
  ino: string;
  /** '0' where the file system does not record it. */
  birthtimeNs: string;
}

const ownerOf = async (dataDir: string): Promise<Owner> => {
  const real = await realpath(dataDir);
  const { ino, birthtimeNs } = await stat(real, { bigint: true });
  return { dataDir: real, ino: String(ino), birthtimeNs: String(birthtimeNs) };
};

const readOwner = async (home: string): Promise<Owner | undefined> => {
  try {
    return JSON.parse(await readFile(path.join(home, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
};

/** In doubt (no record, no birth times), the same folder: the caller then refuses rather than deletes. */
const isSameFolder = (recorded: Owner | undefined, current: Owner) =>
  !recorded ||
  (recorded.ino === current.ino &&
    (recorded.birthtimeNs === '0' ||
      current.birthtimeNs === '0' ||
      recorded.birthtimeNs === current.birthtimeNs));

/** Creates the home and the folders above it that are missing, each 0711: `postgres` passes, lists nothing. */
const makeHome = async (home: string): Promise<boolean> => {
  try {
    const first = await mkdir(home, { recursive: true });
    if (first) {
      for (let dir = home; ; dir = path.dirname(dir)) {
        await chmod(dir, 0o711); // explicitly: a umask of 077 would have made them 0700
        if (dir === first) break;
      }
    }
    return true;
  } catch {
    return false; // a read-only or foreign folder: the caller tries the next root
  }
};

interface PlaceOptions {
  dataDir: string;
  /** Whether the data folder was there before this start. */
  existed: boolean;
  account: Account;
  roots: readonly string[];
  stopTimeoutMs: number;
  logger: Logger;
}

/** First start of a data folder: beside it when the account can enter it, else in the first home it can reach. */
const chooseClusterDir = async (options: PlaceOptions): Promise<string> => {
  const { dataDir, account, roots, logger } = options;
  const inDataDir = embeddedClusterDir(dataDir);
  if (account.uid === undefined || (await canTraverse(dataDir, account))) return inDataDir;
  const owner = await ownerOf(dataDir);
  for (const root of roots) {
    const home = relocatedHome(root, owner.dataDir);
    if (!(await makeHome(home)) || !(await canTraverse(home, account))) continue;
    await writeFile(path.join(home, OWNER_FILE), `${JSON.stringify(owner, null, 2)}\n`, { mode: 0o600 });
    const cluster = path.join(home, 'postgres');
    // What an initdb that failed here left (it refuses a folder that is not empty), and an earlier failed
    // initdb's empty folder in the data folder.
    if (!hasCluster(cluster)) await rm(cluster, { recursive: true, force: true });
    await rmdir(inDataDir).catch(() => undefined);
    logger.info(
      { cluster, dataDir },
      `the ${SUPERUSER} user (PostgreSQL will not run as root) cannot enter the data folder, so the cluster lives in ${cluster}`,
    );
    if (cluster.startsWith(`${tmpdir()}${path.sep}`)) {
      logger.warn(
        { cluster },
        'the cluster is in a temporary folder the system may empty: to keep the data for good, set DATA_DIR to a folder the postgres user can enter',
      );
    }
    return cluster;
  }
  throw new Error(
    `the ${SUPERUSER} user (PostgreSQL will not run as root) cannot enter ${dataDir} nor ${roots.join(' nor ')}: set DATA_DIR to a folder it can enter, or set DATABASE_URL`,
  );
};

/**
 * No `postgres.json`: a relocated cluster for this path belongs to a data folder that was deleted (to start
 * afresh), so it goes; unless the data folder is still the one it was made for, which only lost its settings.
 */
const removeClusterOfDeletedDataDir = async (options: PlaceOptions): Promise<void> => {
  const { dataDir, logger } = options;
  if (options.account.uid === undefined) return; // only root relocates
  const current = await ownerOf(dataDir);
  for (const root of options.roots) {
    const home = relocatedHome(root, current.dataDir);
    const cluster = path.join(home, 'postgres');
    if (!hasCluster(cluster)) continue;
    if (options.existed && isSameFolder(await readOwner(home), current)) {
      throw new Error(
        `${cluster} holds the cluster of ${dataDir} but ${settingsFile(dataDir)} (its password) is missing: restore it, or delete ${dataDir} to start afresh`,
      );
    }
    logger.warn({ cluster, dataDir }, 'removing the PostgreSQL cluster of a data folder that was deleted');
    // An orphaned postmaster may still run it (its app crashed before the folder was deleted).
    await clearPostmasterLeftovers({
      cluster,
      ownerPid: undefined,
      stopTimeoutMs: options.stopTimeoutMs,
      logger,
    });
    await rm(home, { recursive: true, force: true });
  }
};

/** An existing cluster PostgreSQL cannot reach (the folders above it were closed since): say so, in one line. */
const assertReachable = async (cluster: string, account: Account): Promise<void> => {
  if (account.uid === undefined || (await canTraverse(cluster, account))) return;
  throw new Error(
    `the ${SUPERUSER} user (PostgreSQL will not run as root) cannot enter ${cluster}: let it through the folders above, move the data folder where it can, or set DATABASE_URL`,
  );
};

/**
 * The settings (a password generated the first time) and the cluster for this start: where `postgres.json`
 * says, else in the data folder when one is there, else (no cluster yet) where PostgreSQL can reach. A chosen
 * home outside the data folder is for the caller to record once initdb has made the cluster.
 */
export const placeCluster = async (
  options: PlaceOptions,
): Promise<{ settings: EmbeddedSettings; cluster: string }> => {
  const { dataDir, account } = options;
  const settings = await readSettings(dataDir);
  if (settings?.cluster) {
    if (!hasCluster(settings.cluster)) {
      throw new Error(
        `${settingsFile(dataDir)} places the cluster in ${settings.cluster}, which holds none (a temporary folder emptied?): restore it, or delete ${dataDir} to start afresh`,
      );
    }
    await assertReachable(settings.cluster, account);
    return { settings, cluster: settings.cluster };
  }
  const inDataDir = embeddedClusterDir(dataDir);
  if (hasCluster(inDataDir)) {
    if (!settings) {
      throw new Error(
        `${inDataDir} holds a cluster but ${settingsFile(dataDir)} (its password) is missing: restore it, or delete ${dataDir} to start afresh`,
      );
    }
    await assertReachable(inDataDir, account);
    return { settings, cluster: inDataDir };
  }
  if (!settings) await removeClusterOfDeletedDataDir(options);
  return { settings: settings ?? (await freshSettings(dataDir)), cluster: await chooseClusterDir(options) };
};
