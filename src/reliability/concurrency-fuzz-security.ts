/**
 * The long forms of the concurrency, fuzz and security suites for `npm run test:chaos`. These suites are jest tests
 * (their short forms run in `npm test`); here jest runs their files again with the long settings (more rounds,
 * more fuzz runs, the six-process split), each file writes its figures into CHAOS_FIGURES_DIR
 * (test/support/figures.ts), and the report is built from those and from jest's own results.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChaosSettings, ChaosSuite } from './chaos';
import type { SuiteReport } from './support/report';

const ROOT = path.resolve(__dirname, '..', '..');
/** Fuzz runs per property in the long form (the short form: 120 over HTTP, 60 over WebSockets). */
const FUZZ_RUNS = process.env.CHAOS_FUZZ_RUNS ?? '600';

interface JestResults {
  numPassedTests: number;
  numFailedTests: number;
  testResults: {
    name: string;
    message: string;
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

/** The start of a failure message: enough to see what failed (the counterexample of a property, say). */
const firstLines = (message: string): string =>
  message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at '))
    .slice(0, 6)
    .join(' | ')
    .slice(0, 1500);

/** Runs jest on the files with the environment, and reports what they wrote and how their tests went. */
const runJest = async (
  suite: string,
  files: readonly string[],
  env: Record<string, string>,
  settings: ChaosSettings,
): Promise<SuiteReport> => {
  const started = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), `chaos-${suite}-`));
  const output = path.join(dir, 'jest-results.json');
  try {
    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          require.resolve('jest/bin/jest', { paths: [ROOT] }),
          '--runInBand',
          '--json',
          `--outputFile=${output}`,
          ...files,
        ],
        {
          cwd: ROOT,
          env: { ...process.env, ...env, CHAOS_FIGURES_DIR: dir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      // jest's progress lines: the files as they pass or fail, and each failing test.
      const relay = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n'))
          if (/^(PASS|FAIL) |✕/.test(line.trim())) settings.log(`${suite}: ${line.trim()}`);
      };
      child.stdout!.on('data', relay);
      child.stderr!.on('data', relay);
      child.on('exit', (exitCode) => resolve(exitCode ?? 1));
    });
    const figures: Record<string, number | string> = {};
    const failures: string[] = [];
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'jest-results.json')
      .sort()) {
      const written = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
        suite: string;
        figures: Record<string, number | string>;
        failures: string[];
      };
      for (const [name, value] of Object.entries(written.figures))
        figures[`${written.suite}: ${name}`] = value;
      failures.push(...written.failures);
    }
    if (existsSync(output)) {
      const results = JSON.parse(readFileSync(output, 'utf8')) as JestResults;
      figures['tests passed'] = results.numPassedTests;
      figures['tests failed'] = results.numFailedTests;
      for (const file of results.testResults) {
        for (const test of file.assertionResults.filter((t) => t.status === 'failed'))
          failures.push(`${test.fullName}: ${firstLines(test.failureMessages[0] ?? '')}`);
        if (file.assertionResults.length === 0 && file.message)
          failures.push(
            `${path.relative(ROOT, file.name)}: ${file.message.split('\n').find((l) => l.trim())}`,
          );
      }
    }
    if (code !== 0 && failures.length === 0) failures.push(`jest exited with ${code}`);
    return { suite, figures, failures, seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export const CONCURRENCY_FUZZ_SECURITY_SUITES: readonly ChaosSuite[] = [
  {
    name: 'concurrency',
    what: '100 concurrent PATCHes with and without If-Match; removal racing assignment and creation (--rounds); two of every role (six processes, a projector killed)',
    run: (s) =>
      runJest(
        'concurrency',
        ['src/reliability/concurrency.test.ts', 'src/reliability/concurrency-processes.test.ts'],
        { ROUNDS: String(s.rounds), SPLIT: '1' },
        s,
      ),
  },
  {
    name: 'fuzz',
    what: `fast-check over HTTP bodies, headers, query strings, ids and WebSocket upgrades and frames (${FUZZ_RUNS} runs a property; CHAOS_FUZZ_RUNS)`,
    run: (s) => runJest('fuzz', ['src/api/fuzz.test.ts', 'src/realtime/ws-fuzz.test.ts'], { FUZZ_RUNS }, s),
  },
  {
    name: 'security',
    what: 'authorization matrices (HTTP and WebSocket), token attacks, login throttling, secrets in the logs of a real process',
    run: (s) =>
      runJest(
        'security',
        [
          'src/api/authorization.test.ts',
          'src/reliability/security-websocket.test.ts',
          'src/reliability/security-tokens.test.ts',
          'src/reliability/security-throttling.test.ts',
          'src/api/auth/throttling.test.ts',
          'src/reliability/security-logs.test.ts',
        ],
        { FUZZ_RUNS: '40' },
        s,
      ),
  },
];
