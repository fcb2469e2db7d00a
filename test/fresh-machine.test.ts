/**
 * `npm test` on a machine with nothing running. Inside an empty network namespace (`unshare -n`, loopback up),
 * where nothing answers on 5432 or 6379, a small but real part of the suite runs with DATABASE_URL and REDIS_URL
 * unset: on an embedded PostgreSQL and a redis-server from the PATH, both gone afterwards; without redis-server on
 * the PATH, the tests that need Redis do not run and the run says so, once. A DATABASE_URL that does not answer
 * still fails the run at once. (test/support/test-services.ts is what is tested.)
 *
 * Each check is a jest run of its own, on suites named explicitly: never this file, so it cannot recurse.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeUnless } from './support/skip';
import { findOnPath, withoutTestServices } from './support/test-services';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
/** Set for the runs this file starts: they must not run it again. */
const INNER = 'TT_FRESH_MACHINE_INNER';

// Real suites, small and quick: search on the embedded PostgreSQL (pg_trgm, unaccent), the API with its projector
// over Redis across processes, the Redis bus, and readiness (one test of which needs Redis, the others not).
const SEARCH_SUITE = 'src/projections/issues/search-rebuild.test.ts';
const REALTIME_REDIS_SUITE = 'src/realtime/realtime-redis.test.ts';
const REDIS_BUS_SUITE = 'src/realtime/bus/redis-bus.test.ts';
const READINESS_SUITE = 'src/platform/readiness.test.ts';

interface AssertionResult {
  fullName: string;
  status: 'passed' | 'failed' | 'pending' | 'todo' | 'skipped' | 'disabled' | 'focused';
}
interface JestResults {
  success: boolean;
  numFailedTests: number;
  testResults: { name: string; assertionResults: AssertionResult[] }[];
}
interface Run {
  code: number | null;
  output: string;
  results: JestResults | undefined;
  /** What the statuses of one suite's tests were, by test name. */
  statuses(suite: string): Record<string, AssertionResult['status']>;
}

const whyNoNamespace = (): string | undefined => {
  if (process.env[INNER]) return `this is a run started by ${path.basename(__filename)} itself`;
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  const unshare = findOnPath('unshare', `${process.env.PATH}:/usr/bin:/bin`);
  const ip = findOnPath('ip', `${process.env.PATH}:/usr/sbin:/sbin:/usr/bin:/bin`);
  if (!unshare) return 'there is no unshare command';
  if (!findOnPath('bash', `${process.env.PATH}:/usr/bin:/bin`)) return 'there is no bash';
  if (!ip) return 'there is no ip command (iproute2) to bring the loopback interface up';
  const tried = spawnSync(unshare, ['-n', ip, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (tried.status !== 0) {
    const said = (tried.stderr || tried.error?.message || `exit code ${tried.status}`).trim();
    return `this machine does not let us make a network namespace (unshare -n: ${said}); it needs root, in a container one that allows unshare`;
  }
  return undefined;
};

const noNamespace = whyNoNamespace();

/** A PATH with every command of this one except `hidden`: links in a folder anyone may enter (PostgreSQL runs as `postgres`). */
const pathWithout = async (hidden: string, into: string): Promise<string> => {
  await mkdir(into, { recursive: true, mode: 0o755 });
  await chmod(into, 0o755);
  const seen = new Set<string>();
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name === hidden || seen.has(name)) continue;
      seen.add(name);
      await symlink(path.join(dir, name), path.join(into, name));
    }
  }
  return into;
};

/** The processes whose command line names `part` (a postmaster names its cluster's folder). */
const processesNaming = async (part: string): Promise<number[]> => {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(part)) pids.push(Number(entry));
  }
  return pids;
};

describe('npm test on a machine with nothing running', () => {
  let work: string;

  beforeEach(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'tt-fresh-machine-'));
    // The inner run's TMPDIR is in here, and PostgreSQL (as `postgres`, when we are root) must pass through.
    await chmod(work, 0o711);
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** One jest run on the given suites, in a fresh network namespace unless told otherwise, with its own TMPDIR. */
  const runJest = async (
    suites: string[],
    options: { namespace: boolean; env?: NodeJS.ProcessEnv },
  ): Promise<Run> => {
    const tmp = path.join(work, 'tmp');
    await mkdir(tmp, { recursive: true });
    await chmod(tmp, 0o1777);
    const outputFile = path.join(work, 'results.json');
    const env = {
      ...withoutTestServices(process.env),
      [INNER]: '1',
      TMPDIR: tmp,
      FORCE_COLOR: '0',
      ...options.env,
    };
    const jest = [
      process.execPath,
      JEST,
      '--ci',
      '--runInBand',
      '--json',
      `--outputFile=${outputFile}`,
      ...suites,
    ];
    const [command, ...args] = options.namespace
      ? [
          findOnPath('unshare', `${process.env.PATH}:/usr/bin:/bin`)!,
          '-n',
          findOnPath('bash', `${process.env.PATH}:/usr/bin:/bin`)!,
          '-c',
          '"$0" link set lo up && exec "$@"',
          findOnPath('ip', `${process.env.PATH}:/usr/sbin:/sbin:/usr/bin:/bin`)!,
          ...jest,
        ]
      : jest;
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    const results = existsSync(outputFile)
      ? (JSON.parse(await readFile(outputFile, 'utf8')) as JestResults)
      : undefined;
    // The run stopped what it started and removed its folder.
    const left = [
      ...(await readdir(tmp)).filter((name) => name.startsWith('tt-test-run-')),
      ...(await processesNaming(work)).map((pid) => `process ${pid}`),
    ];
    return {
      code,
      output: `${output.join('')}${left.length ? `\nLeft behind: ${left.join(', ')}` : ''}`,
      results,
      statuses: (suite) =>
        Object.fromEntries(
          (results?.testResults.find((r) => r.name === path.join(ROOT, suite))?.assertionResults ?? []).map(
            (a) => [a.fullName, a.status],
          ),
        ),
    };
  };

  /** The whole output in the failure message: it is what explains a failure here. */
  const expectPassed = (run: Run) => {
    if (run.code !== 0 || !run.results?.success || run.output.includes('Left behind:')) {
      throw new Error(`the jest run did not pass cleanly (exit code ${run.code}):\n${run.output}`);
    }
  };

  const countOf = (text: string, part: string) => text.split(part).length - 1;

  describeUnless(noNamespace, 'inside an empty network namespace, DATABASE_URL and REDIS_URL unset', () => {
    it('runs on an embedded PostgreSQL and a redis-server from the PATH, started for the run and gone after it', async () => {
      const redisServer = findOnPath('redis-server');
      const run = await runJest([SEARCH_SUITE, REALTIME_REDIS_SUITE], { namespace: true });
      expectPassed(run);
      expect(run.output).toMatch(
        /Test services: PostgreSQL: an embedded server on 127\.0\.0\.1:\d+ for this run \(DATABASE_URL is not set and nothing answers at 127\.0\.0\.1:5432\)/,
      );
      expect(Object.values(run.statuses(SEARCH_SUITE))).toEqual(['passed']);
      const redisSuite = Object.values(run.statuses(REALTIME_REDIS_SUITE));
      expect(redisSuite.length).toBeGreaterThan(0);
      if (redisServer) {
        expect(run.output).toContain(`Redis: ${redisServer} on 127.0.0.1:`);
        expect(run.output).not.toContain('did not run');
        expect(redisSuite.every((status) => status === 'passed')).toBe(true);
      } else {
        // A machine without Redis at all: the run must say so (the next test checks how).
        expect(countOf(run.output, 'Tests that need Redis did not run:')).toBe(1);
        expect(redisSuite.every((status) => status === 'pending')).toBe(true);
      }
    });

    it('without redis-server on the PATH, skips the tests that need Redis and says once which and why', async () => {
      const env = { PATH: await pathWithout('redis-server', path.join(work, 'bin')) };
      const run = await runJest([READINESS_SUITE, REDIS_BUS_SUITE], { namespace: true, env });
      expectPassed(run);
      expect(run.output).toContain('Redis: none (the tests that need it will not run');
      expect(countOf(run.output, 'Tests that need Redis did not run:')).toBe(1);
      expect(run.output).toContain(
        'REDIS_URL is not set, nothing answers at redis://127.0.0.1:6379, and there is no redis-server on the PATH',
      );
      expect(run.output).toContain(`- ${REDIS_BUS_SUITE}: Redis bus\n`);
      expect(run.output).toContain(`- ${READINESS_SUITE}: passes against the running server\n`);

      const bus = Object.values(run.statuses(REDIS_BUS_SUITE));
      expect(bus.length).toBeGreaterThan(0);
      expect(bus.every((status) => status === 'pending')).toBe(true);
      const readiness = run.statuses(READINESS_SUITE);
      expect(readiness['readiness redisCheck passes against the running server']).toBe('pending');
      const others = Object.entries(readiness).filter(
        ([name]) => !name.endsWith('passes against the running server'),
      );
      expect(others.length).toBeGreaterThan(0);
      expect(others.every(([, status]) => status === 'passed')).toBe(true);
    });
  });

  it('fails at once, with the reason, when DATABASE_URL is set but nothing answers there', async () => {
    const started = Date.now();
    const run = await runJest(['src/domain/shared/validation.test.ts'], {
      namespace: false,
      env: { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/postgres' },
    });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      'PostgreSQL is not reachable at postgres://postgres:***@127.0.0.1:1/postgres: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(run.output).not.toContain('secret');
    expect(run.output).not.toContain('Left behind:');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
