/**
 * The README's walkthrough, run as a reader would paste it (bash, curl, node), twice in a row against a real
 * server: it must succeed both times, and its `as_of` example must show the issue as it was before the PATCH.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestApi, type TestApi } from '../test/support/api';

const run = promisify(execFile);

const walkthrough = (): string => {
  const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Walkthrough with curl'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('the README has no walkthrough block');
  return block[1]!;
};

describe('the README walkthrough', () => {
  let api: TestApi;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    api = await createTestApi({ passwordHashCost: 10 });
    const server = createServer(api.system.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
    await api.teardown();
  });

  it('runs twice in a row, and its as_of shows the issue before the change', async () => {
    const script = walkthrough();
    expect(script).toMatch(/^B=http:\/\/127\.0\.0\.1:8000$/m);
    // Each answer on a line of its own, so the test can tell them apart.
    const prelude = 'set -euo pipefail\ncurl() { command curl "$@"; echo; }\n';
    const runnable = `${prelude}${script.replace(/^B=.*$/m, `B=${base}`)}`;
    for (let round = 1; round <= 2; round++) {
      const { stdout } = await run('bash', ['-c', runnable], { timeout: 60_000 });
      // The answers that are one issue: the PATCH's (in progress), then the as_of one (as created: open).
      const issues = stdout
        .split('\n')
        .filter((line) => line.startsWith('{"id"'))
        .map((line) => JSON.parse(line) as { title?: string; status?: string })
        .filter((answer) => answer.title !== undefined);
      expect(issues.map((issue) => [issue.title, issue.status])).toEqual([
        ['Fix the login', 'in_progress'],
        ['Fix the login', 'open'],
      ]);
      expect(stdout).toMatch(/ETag: "1"/i);
    }
  }, 120_000);
});
