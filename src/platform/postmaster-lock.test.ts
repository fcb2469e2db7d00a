import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { clearPostmasterLeftovers, inspectPostmasterLock } from './postmaster-lock';

const logger = pino({ level: 'silent' });

/** A postmaster.pid as PostgreSQL writes it: pid, data folder, start time, port, … */
const writeLock = (cluster: string, pid: number) =>
  writeFile(path.join(cluster, 'postmaster.pid'), `${pid}\n${cluster}\n1700000000\n54329\n\n127.0.0.1\n`);

/** A pid that surely is no process: one that just exited. */
const deadPid = () =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.once('exit', () => resolve(child.pid ?? 0));
  });

describe('postmaster.pid', () => {
  let cluster: string;
  beforeEach(async () => {
    cluster = await mkdtemp(path.join(os.tmpdir(), 'tt-lock-'));
  });
  afterEach(() => rm(cluster, { recursive: true, force: true }));

  it('is absent in a folder where no postmaster ran', async () => {
    expect(await inspectPostmasterLock(cluster)).toEqual({ state: 'absent' });
  });

  it('is stale when its pid is dead, and is removed before a start', async () => {
    const pid = await deadPid();
    await writeLock(cluster, pid);
    expect(await inspectPostmasterLock(cluster)).toEqual({ state: 'stale', pid });
    await clearPostmasterLeftovers({ cluster, ownerPid: undefined, stopTimeoutMs: 1000, logger });
    expect(await inspectPostmasterLock(cluster)).toEqual({ state: 'absent' });
  });

  it('is stale when its pid was reused by a process that is not this folder’s postmaster', async () => {
    await writeLock(cluster, process.pid);
    expect(await inspectPostmasterLock(cluster)).toEqual({ state: 'stale', pid: process.pid });
    await clearPostmasterLeftovers({ cluster, ownerPid: undefined, stopTimeoutMs: 1000, logger });
    await expect(readFile(path.join(cluster, 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
  });
});
