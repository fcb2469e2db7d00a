import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PRELOAD = path.join(__dirname, 'exit-with-parent.cjs');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('exit-with-parent.cjs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tt-exit-with-parent-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends SIGTERM to a service whose starter was killed', async () => {
    const marker = path.join(dir, 'stopped');
    // The service: records the SIGTERM it gets, then exits; without one it would run for ever.
    const service = `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'SIGTERM'); process.exit(0); }); setInterval(() => {}, 1000);`;
    // The starter: starts the service with its stdin a pipe, prints its pid, and waits to be killed.
    const starter = `const c = require('child_process').spawn(process.execPath, ['--require', ${JSON.stringify(PRELOAD)}, '--import', 'tsx', '-e', ${JSON.stringify(service)}], { stdio: ['pipe', 'ignore', 'ignore'] }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', starter], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    await sleep(300);
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
    expect(alive(pid)).toBe(false);
    expect(readFileSync(marker, 'utf8')).toBe('SIGTERM');
  });

  it('does not keep a process alive that would end by itself, while its starter holds the pipe open', async () => {
    // As the services run: with tsx's hooks, whose thread runs the preload too.
    const child = spawn(
      process.execPath,
      ['--require', PRELOAD, '--import', 'tsx', '-e', 'setTimeout(() => {}, 100)'],
      {
        stdio: ['pipe', 'ignore', 'inherit'],
      },
    );
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    child.stdin.end();
  });
});
