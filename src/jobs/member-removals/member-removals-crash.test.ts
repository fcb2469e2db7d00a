/**
 * The member-removal process survives a crash: a real process (API, reactor, jobs) answers the removal, starts
 * releasing the member's assignments, and is killed with SIGKILL in the middle (blocked inside the append of one
 * release); a restarted process finishes the work, and every assignment is released exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { eventually } from '../../../test/support/eventually';
import { anOrganization, createIssue } from '../../../test/support/fixtures';
import { releasesOf } from '../../../test/support/jobs';
import { useFixture, useTestApi } from '../../../test/support/suite';

jest.setTimeout(90_000);

const JWT_SECRET = 'test-secret-test-secret-test-secret-000';
/** The advisory lock the blocking trigger waits for while the test holds it. */
const BLOCK = 4242;

interface Child {
  process: ChildProcess;
  base: string;
}

/** An API process that also runs the reactor and, every 200 ms, the jobs (standing in for the scheduler). */
const startProcess = (databaseUrl: string, name: string): Promise<Child> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, '..', '..', '..', 'test', 'support', 'api-process.ts')],
      {
        env: {
          ...process.env,
          DATABASE_URL: databaseUrl,
          JWT_SECRET,
          RUN_REACTOR: '1',
          RUN_JOBS_EVERY_MS: '200',
          JOB_LEASE_MS: '1000',
          APPLICATION_NAME: name,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve({ process: child, base: `http://127.0.0.1:${match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`process exited (${code}):\n${output}`)));
  });

const kill = (child: Child): Promise<void> =>
  new Promise((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
    child.process.once('exit', () => resolve());
    child.process.kill('SIGKILL');
  });

describe('the member-removal process across a crash', () => {
  const api = useTestApi({ jwtSecret: JWT_SECRET });
  const shop = useFixture(() => anOrganization(api, 'Crash').withMember('leaver').withProject('P').build());

  it('finishes after the process releasing the assignments was killed midway, releasing each once', async () => {
    const issues: string[] = [];
    for (let i = 0; i < 6; i++)
      issues.push(
        (await createIssue(api, shop.owner, shop.projects.P, { assigned_to_id: shop.leaver.id })).id,
      );
    const order = [...issues].sort(); // the job releases them in id order
    const blocked = order[2]!;
    // The processes under test run the reactions; this one keeps the read models current.
    await api.system.reactor.stop();
    const admin = new Client({ connectionString: api.database.url });
    await admin.connect();
    let first: Child | null = null;
    let second: Child | null = null;
    try {
      // The third release's append waits inside a trigger for a lock the test holds: a process stuck midway.
      await admin.query(`SELECT pg_advisory_lock(${BLOCK})`);
      await admin.query(`
        CREATE FUNCTION block_release() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_lock(${BLOCK}); PERFORM pg_advisory_unlock(${BLOCK}); RETURN NEW; END $$;
        CREATE TRIGGER block_release BEFORE INSERT ON events FOR EACH ROW
          WHEN (NEW.stream_id = 'issue-${blocked}' AND NEW.type = 'IssueUnassigned')
          EXECUTE FUNCTION block_release();
      `);
      first = await startProcess(api.database.url, 'doomed');
      const removed = await fetch(
        `${first.base}/api/v1/organizations/${shop.id}/members/${shop.leaver.id}/`,
        {
          method: 'DELETE',
          headers: shop.owner.auth,
        },
      );
      // The answer comes once the removal is recorded, whatever the releases are doing.
      expect(removed.status).toBe(204);
      await eventually(async () => {
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = ${BLOCK} AND NOT granted`,
        );
        expect(rows).toHaveLength(1);
      }, 20_000);
      await kill(first);
      // Its session blocked in the trigger outlives it until ended; ending it rolls that append back.
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'doomed%'",
      );
    } finally {
      await admin.query(
        'DROP TRIGGER IF EXISTS block_release ON events; DROP FUNCTION IF EXISTS block_release()',
      );
      await admin.query(`SELECT pg_advisory_unlock_all()`);
    }

    try {
      // Killed midway: the first two released, once each, and the removal still to finish.
      const midway = await releasesOf(api, shop.id, shop.leaver.id);
      expect(midway.released).toEqual(new Map(order.slice(0, 2).map((id) => [id, 1])));
      const pending = await api.pool.query('SELECT status FROM member_removals WHERE event_id = $1', [
        midway.eventId,
      ]);
      expect(pending.rows).toEqual([{ status: 'pending' }]);

      second = await startProcess(api.database.url, 'restarted');
      await eventually(async () => {
        const { rows } = await api.pool.query('SELECT status FROM member_removals WHERE event_id = $1', [
          midway.eventId,
        ]);
        expect(rows).toEqual([{ status: 'done' }]);
      }, 30_000);
      const after = await releasesOf(api, shop.id, shop.leaver.id);
      expect(after.released).toEqual(new Map(order.map((id) => [id, 1])));
      // The read models (this process's projector) show it once they reach the last release.
      await eventually(async () => {
        for (const id of issues) {
          const read = await api.http.get(`/api/v1/issues/${id}/`).set(shop.owner.auth);
          expect(read.body.assigned_to).toBeNull();
        }
      }, 10_000);
    } finally {
      if (second) await kill(second);
      if (first) await kill(first);
      await admin.end();
      api.system.reactor.start();
    }
  });
});
