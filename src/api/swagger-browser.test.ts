/**
 * Swagger UI in a real browser: headless Chromium loads /api/docs/ over plain HTTP at a non-loopback address of
 * this machine (as the compose setup serves it, behind its proxy) and must list the operations. A page whose
 * security headers make the browser fetch its scripts over HTTPS stays blank there.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestApi, type TestApi } from '../../test/support/api';
import { describeUnless } from '../../test/support/skip';

const run = promisify(execFile);

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) =>
  existsSync(p),
);
const address = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
const why = !chromium
  ? 'Chromium is not installed (apt-get install chromium)'
  : !address
    ? 'this machine has no non-loopback IPv4 address'
    : null;
describeUnless(why, 'Swagger UI in headless Chromium', () => {
  let api: TestApi;
  let server: Server;
  let profile: string;

  beforeAll(async () => {
    api = await createTestApi();
    server = createServer(api.system.app);
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    profile = mkdtempSync(path.join(tmpdir(), 'tt-chromium-'));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await api.teardown();
    rmSync(profile, { recursive: true, force: true });
  });

  it('lists the operations when opened over plain HTTP at a non-loopback address', async () => {
    const url = `http://${address}:${(server.address() as AddressInfo).port}/api/docs/`;
    const { stdout } = await run(
      chromium!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=15000',
        '--dump-dom',
        url,
      ],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const operations = [...stdout.matchAll(/class="opblock-summary-path" data-path="([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(operations).toEqual(
      expect.arrayContaining(['/api/v1/issues/', '/api/v1/organizations/{id}/members/']),
    );
    expect(operations.length).toBeGreaterThan(20);
  }, 90_000);
});
