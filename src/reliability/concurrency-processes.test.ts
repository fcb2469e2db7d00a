/**
 * Two processes of every role on one database, from the real entry point (src/main.ts): two APIs, two projectors,
 * two reactors and two schedulers. Writers spread over both APIs; then:
 *
 * - no lost update: 100 concurrent PATCHes of one issue without If-Match through both APIs all apply (or, if the
 *   retries between processes run out, get 409 and append nothing); read-then-write PATCHes with If-Match form
 *   one chain of revisions; every 2xx is in the history;
 * - each projection batch is applied once: each read model's count of applied events equals the log's count of
 *   the events it handles, the event index has one row per event, each issue row is at its stream's revision;
 * - each job runs once: a member's removal releases each issue once with both schedulers running the process,
 *   overdue reminders asked for on both APIs at once remind once per issue, one `cleanup` asked for runs once.
 *
 * The short form runs two `ROLE=all` processes (each every role). SPLIT=1 (the long form) runs the production
 * split, six processes (api, api, projector, projector, scheduler, scheduler), and SIGKILLs a projector midway.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { recordFigures } from '../../test/support/figures';
import {
  alarmingLines,
  type ServiceProcess,
  type ServiceRole,
  startService,
} from '../../test/support/service-process';

jest.setTimeout(240_000);

const SPLIT = process.env.SPLIT === '1';
const WRITERS = Number(process.env.WRITERS ?? 100);
const ADMIN = { username: 'root', password: 'a long admin password' };
const PASSWORD = 'correct horse battery staple';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

const call = async (
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : {} };
};

const until = async <T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time; last: ${JSON.stringify(value)}`);
    await sleep(200);
  }
};

describe(`two processes of every role on one database (${SPLIT ? 'six processes' : 'two ROLE=all processes'})`, () => {
  let database: TestDatabase;
  let db: Client;
  const processes: ServiceProcess[] = [];
  const roles: ServiceRole[] = SPLIT
    ? ['scheduler', 'api', 'api', 'projector', 'projector', 'scheduler']
    : ['all', 'all'];

  beforeAll(async () => {
    database = await createTestDatabase('tt_two_each');
    const settings = {
      DATABASE_URL: database.url,
      JWT_SECRET: 'a-test-secret-a-test-secret-a-test-secret',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      REGISTER_LIMIT_PER_ADDRESS: '100000',
      READ_YOUR_WRITES_TIMEOUT_MS: '30000',
      // Six processes and the other suites share one PostgreSQL's 100 connections.
      DATABASE_POOL_SIZE: SPLIT ? '3' : '5',
    };
    // The first migrates the database (as compose's `migrate` would); the others start on it together.
    processes.push(await startService(roles[0]!, settings));
    processes.push(...(await Promise.all(roles.slice(1).map((role) => startService(role, settings)))));
    db = new Client({ connectionString: database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await Promise.all(processes.map((p) => p.stop(5000)));
    await database?.drop();
  });

  const apis = () => processes.filter((p) => p.role === 'api' || p.role === 'all').map((p) => p.base);
  const schedulers = () => processes.filter((p) => p.role === 'scheduler' || p.role === 'all');
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);

  it('loses no update, applies each batch once and runs each job once', async () => {
    const [a, b] = apis() as [string, string];
    const via = (i: number) => (i % 2 ? b : a);
    const register = async (name: string, i: number) => {
      const username = `${name}${Math.random().toString(36).slice(2, 8)}`;
      const res = await call(via(i), 'POST', '/api/v1/auth/register/', {
        body: { username, email: `${username}@example.com`, password: PASSWORD },
      });
      expect(res.status).toBe(201);
      const login = await call(via(i + 1), 'POST', '/api/v1/auth/login/', {
        body: { username, password: PASSWORD },
      });
      return { id: res.body.id as string, token: login.body.access as string };
    };
    const [owner, leaver, keeper] = await Promise.all([
      register('owner', 0),
      register('leaver', 1),
      register('keeper', 2),
    ]);
    const org = (
      await call(a, 'POST', '/api/v1/organizations/', { token: owner.token, body: { name: 'Both' } })
    ).body.id as string;
    for (const [i, user] of [leaver, keeper].entries())
      expect(
        (
          await call(via(i), 'POST', `/api/v1/organizations/${org}/members/`, {
            token: owner.token,
            body: { user_id: user.id, role: 'member' },
          })
        ).status,
      ).toBe(201);
    const project = (
      await call(b, 'POST', '/api/v1/projects/', {
        token: owner.token,
        body: { organization: org, name: 'P' },
      })
    ).body.id as string;
    const issue = async (i: number, fields: Record<string, unknown> = {}) => {
      const res = await call(via(i), 'POST', '/api/v1/issues/', {
        token: owner.token,
        headers: { 'idempotency-key': `issue-${i}-${Math.random()}` },
        body: { project, title: `Issue ${i}`, ...fields },
      });
      if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    };
    const [busy, contested] = await Promise.all([issue(0), issue(1)]);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

    // The load: blind writers, optimistic writers and creators on both APIs at once; SPLIT kills a projector midway.
    const blind = Array.from({ length: WRITERS }, (_, i) =>
      call(via(i), 'PATCH', `/api/v1/issues/${busy}/`, { token: owner.token, body: { title: `Edit ${i}` } }),
    );
    const optimistic = Array.from({ length: WRITERS / 2 }, async (_, i) => {
      const read = await call(via(i), 'GET', `/api/v1/issues/${contested}/`, { token: owner.token });
      const etag = read.headers.get('etag')!;
      const res = await call(via(i + 1), 'PATCH', `/api/v1/issues/${contested}/`, {
        token: owner.token,
        headers: { 'if-match': etag },
        body: { title: `Writer ${i}` },
      });
      return { etag, res };
    });
    const held = Array.from({ length: 10 }, (_, i) => issue(100 + i, { assigned_to_id: leaver.id }));
    const overdue = Array.from({ length: 10 }, (_, i) =>
      issue(200 + i, { assigned_to_id: keeper.id, due_date: yesterday }),
    );
    if (SPLIT) {
      await sleep(300);
      processes.find((p) => p.role === 'projector')!.child.kill('SIGKILL');
    }
    const blindAnswers = await Promise.all(blind);
    const optimisticAnswers = await Promise.all(optimistic);
    const heldIds = await Promise.all(held);
    const overdueIds = await Promise.all(overdue);

    // No lost update: every 2xx is in the history, in order; a refusal appended nothing.
    expect(blindAnswers.map((r) => r.status).filter((s) => s !== 200 && s !== 409)).toEqual([]);
    const applied = blindAnswers.filter((r) => r.status === 200);
    const history = async (id: string) => {
      const res = await call(a, 'GET', `/api/v1/issues/${id}/history/?limit=100`, { token: owner.token });
      let results = res.body.results as { position: string; changes: { title?: [string, string] } }[];
      for (let next = res.body.next as string | null; next; ) {
        const page = await call(a, 'GET', next.replace(/^https?:\/\/[^/]+/, ''), { token: owner.token });
        results = [...results, ...(page.body.results as typeof results)];
        next = page.body.next as string | null;
      }
      return results;
    };
    const busyHistory = await history(busy);
    expect(busyHistory).toHaveLength(applied.length + 1);
    expect(applied.map((r) => r.headers.get('x-position')).sort()).toEqual(
      busyHistory
        .slice(1)
        .map((h) => h.position)
        .sort(),
    );
    const titles = busyHistory.slice(1).map((h) => h.changes.title![1]);
    expect(busyHistory.slice(1).map((h) => h.changes.title![0])).toEqual(['Issue 0', ...titles.slice(0, -1)]);
    const chain = optimisticAnswers
      .filter((o) => o.res.status === 200)
      .map((o) => Number(JSON.parse(o.etag)))
      .sort((x, y) => x - y);
    expect(optimisticAnswers.map((o) => o.res.status).filter((s) => s !== 200 && s !== 412)).toEqual([]);
    expect(chain).toEqual(chain.map((_, k) => k));
    expect(await history(contested)).toHaveLength(chain.length + 1);

    // Jobs: the removal is processed by whichever scheduler takes it, each issue released once.
    expect(
      (await call(b, 'DELETE', `/api/v1/organizations/${org}/members/${leaver.id}/`, { token: owner.token }))
        .status,
    ).toBe(204);
    const admin = (await call(a, 'POST', '/api/v1/auth/login/', { body: ADMIN })).body.access as string;
    const runs = async (job: string) => {
      let total = 0;
      for (const s of schedulers()) {
        const text = await fetch(`${s.base}/metrics`).then((r) => r.text());
        total += Number(new RegExp(`job_runs_total\\{job="${job}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      }
      return total;
    };
    const cleanupsBefore = await runs('cleanup');
    const asked = Date.now();
    const queued = await Promise.all([
      call(a, 'POST', '/api/v1/admin/jobs/overdue-reminders/run/', { token: admin, body: {} }),
      call(b, 'POST', '/api/v1/admin/jobs/overdue-reminders/run/', { token: admin, body: {} }),
      call(b, 'POST', '/api/v1/admin/jobs/cleanup/run/', { token: admin, body: {} }),
    ]);
    expect(queued.map((r) => r.status)).toEqual([202, 202, 202]);
    const releases = () =>
      db.query<{ issue: string; n: string }>(
        `SELECT data->>'issueId' AS issue, count(*)::text AS n FROM events WHERE type = 'IssueUnassigned'
         AND data->>'previousAssigneeId' = $1 GROUP BY 1`,
        [leaver.id],
      );
    await until(releases, (r) => r.rows.length === heldIds.length);
    const reminders = () =>
      count(
        `SELECT count(*)::text AS n FROM notifications WHERE kind = 'issue.overdue' AND recipient_id = $1`,
        [keeper.id],
      );
    await until(reminders, (n) => n >= overdueIds.length);
    await until(
      () => runs('cleanup'),
      (n) => n > cleanupsBefore,
    );
    // Both schedulers keep running the removal process every 5 s, and the reminders were asked for twice: wait a
    // few of those rounds, then nothing may have doubled.
    await sleep(6000);
    expect((await releases()).rows.map((r) => Number(r.n))).toEqual(heldIds.map(() => 1));
    expect(await reminders()).toBe(overdueIds.length);
    // Cleanup is also due at minute 17 of every hour: only then may a second run have started meanwhile.
    const crossed17 = Array.from({ length: Math.ceil((Date.now() - asked) / 60_000) + 1 }, (_, k) =>
      new Date(asked + k * 60_000).getUTCMinutes(),
    ).includes(17);
    const cleanups = (await runs('cleanup')) - cleanupsBefore;
    if (crossed17) expect(cleanups).toBeGreaterThanOrEqual(1);
    else expect(cleanups).toBe(1);

    // Each batch applied once: every read model caught up, and what it counted equals what the log holds.
    const head = await until(
      () =>
        db
          .query<{ name: string; position: string }>('SELECT name, position FROM projection_checkpoints')
          .then((r) => r.rows),
      (rows) => rows.length > 0 && new Set(rows.map((r) => r.position)).size === 1,
    );
    expect(head.length).toBeGreaterThanOrEqual(5);
    const applied_ = async (name: string) =>
      count('SELECT events_applied::text AS n FROM projection_checkpoints WHERE name = $1', [name]);
    const events = await count('SELECT count(*)::text AS n FROM events');
    expect(await applied_('event_log')).toBe(events);
    expect(await count('SELECT count(*)::text AS n FROM event_log')).toBe(events);
    expect(await applied_('users')).toBe(
      await count("SELECT count(*)::text AS n FROM events WHERE type = 'UserRegistered'"),
    );
    expect(await applied_('organizations')).toBe(
      await count("SELECT count(*)::text AS n FROM events WHERE stream_id LIKE 'organization-%'"),
    );
    expect(
      await count(
        `SELECT count(*)::text AS n FROM issues i
         WHERE i.revision <> (SELECT max(revision) FROM events e WHERE e.stream_id = 'issue-' || i.id::text)`,
      ),
    ).toBe(0);
    expect(await count('SELECT count(*)::text AS n FROM issues')).toBe(
      await count("SELECT count(DISTINCT stream_id)::text AS n FROM events WHERE stream_id LIKE 'issue-%'"),
    );

    // Nothing went wrong that a client could have caused.
    for (const p of processes) expect(alarmingLines(p.output())).toEqual([]);
    recordFigures('concurrency-processes', {
      processes: roles.join(', '),
      'projectors killed midway': SPLIT ? 1 : 0,
      'PATCHes without If-Match applied / 409 (retries between processes ran out)': `${applied.length} / ${WRITERS - applied.length}`,
      'PATCHes with If-Match applied (one chain) / 412': `${chain.length} / ${WRITERS / 2 - chain.length}`,
      'issues released once by the removal (two schedulers)': heldIds.length,
      'overdue reminders, once each (asked on both APIs)': overdueIds.length,
      'cleanup runs for one request': cleanups,
      'events checked (each applied once)': events,
    });
  });
});
