/**
 * Concurrency over real HTTP, with the production's command retries (QUALITY.md, "No lost updates"):
 *
 * - 100 concurrent PATCHes of one issue with `If-Match`: each applies or gets 412; the applied ones form one chain
 *   of revisions (each read the revision the one before it made), and the issue and its history are that chain.
 * - 100 concurrent PATCHes without `If-Match`: all apply, one after another (revision +100, history shows each).
 * - A member's removal racing with assignments to them and with issues they create assigned to themselves: once
 *   everything settled (the member-removal process of docs/jobs.md included), no open issue is assigned to a
 *   non-member, in the read model and in the log.
 *
 * ROUNDS (default 3) sets the removal races' rounds; the long form (`npm run test:chaos`) runs more.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestApi, TestUser } from '../../test/support/api';
import { addMember, anOrganization } from '../../test/support/fixtures';
import { finishRemovals, type LiveAnswer, useLiveHttp } from '../../test/support/live-http';
import { useFixture, useTestApi } from '../../test/support/suite';
import { recordFigures } from '../../test/support/figures';
import { DEFAULTS } from '../platform/config';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WRITERS = 100;
/** What the suite did and saw, for the long form's figures. */
const FIGURES: Record<string, number> = {
  'PATCHes with If-Match': 0,
  'applied (one chain)': 0,
  'refused with 412': 0,
  'PATCHes without If-Match, all applied': 0,
  'removal races (rounds)': 0,
  'assignments applied': 0,
  'assignments refused': 0,
  'creations applied': 0,
  'creations refused': 0,
  'assignments recorded after the removal (then released)': 0,
  'stray assignments after settling': 0,
};
const count = (name: string, n = 1) => {
  FIGURES[name] = (FIGURES[name] ?? 0) + n;
};

jest.setTimeout(120_000);

/** Open issues of the organization assigned to someone who is not its member: in the read model, and in the log. */
const strayAssignments = async (api: TestApi, organizationId: string) => {
  const readModel = await api.pool.query<{ id: string; assignee_id: string }>(
    `SELECT i.id::text, i.assignee_id::text FROM issues i
     WHERE i.organization_id = $1 AND i.status <> 'done' AND i.assignee_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM memberships m
                       WHERE m.organization_id = i.organization_id AND m.user_id = i.assignee_id)`,
    [organizationId],
  );
  // The log's word: each issue's last assignment, and the organization's members, folded from the events.
  const { rows: events } = await api.pool.query<{ type: string; data: Record<string, unknown> }>(
    `SELECT type, data FROM events
     WHERE data->>'organizationId' = $1 ORDER BY tx_id, seq`,
    [organizationId],
  );
  const members = new Set<string>();
  const issues = new Map<string, { assignee: string | null; status: string; deleted: boolean }>();
  for (const { type, data } of events) {
    const issueId = data.issueId as string;
    const issue = issues.get(issueId);
    if (type === 'OrganizationCreated') members.add(data.ownerId as string);
    else if (type === 'MemberAdded') members.add(data.userId as string);
    else if (type === 'MemberRemoved') members.delete(data.userId as string);
    else if (type === 'IssueCreated')
      issues.set(issueId, {
        assignee: (data.assigneeId as string | null) ?? null,
        status: (data.status as string) ?? 'open',
        deleted: false,
      });
    else if (type === 'IssueAssigned' && issue) issue.assignee = data.assigneeId as string;
    else if (type === 'IssueUnassigned' && issue) issue.assignee = null;
    else if (type === 'IssueStatusChanged' && issue) issue.status = data.status as string;
    else if (type === 'IssueDeleted' && issue) issue.deleted = true;
    else if (type === 'IssueRestored' && issue)
      Object.assign(issue, { deleted: false, status: data.status, assignee: data.assigneeId ?? null });
  }
  const inLog = [...issues].filter(
    ([, i]) => !i.deleted && i.status !== 'done' && i.assignee !== null && !members.has(i.assignee),
  );
  return { readModel: readModel.rows, log: inLog.map(([id, i]) => ({ id, assignee_id: i.assignee })) };
};

describe('concurrent writers over HTTP (the production command retries)', () => {
  const api = useTestApi({ commandRetries: DEFAULTS.commandRetries });
  afterAll(() => recordFigures('concurrency', FIGURES));
  const live = useLiveHttp(api);
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('manager', 'manager').withProject('Tracker').build(),
  );

  const newIssue = async (title: string): Promise<string> => {
    const res = await live.call('post', '/api/v1/issues/', {
      as: acme.owner,
      body: { project: acme.projects.Tracker, title },
    });
    expect(res.status).toBe(201);
    return res.body!.id as string;
  };
  type HistoryEntry = { position: string; type: string; changes: Record<string, [unknown, unknown]> };
  const historyOf = async (issueId: string): Promise<HistoryEntry[]> => {
    const entries: HistoryEntry[] = [];
    let next: string | null = `/api/v1/issues/${issueId}/history/?limit=100`;
    while (next) {
      const page: LiveAnswer = await live.call('get', next, { as: acme.owner });
      expect(page.status).toBe(200);
      entries.push(...(page.body!.results as HistoryEntry[]));
      next = page.body!.next
        ? new URL(page.body!.next as string).pathname + new URL(page.body!.next as string).search
        : null;
    }
    return entries;
  };

  it('lets 100 concurrent PATCHes with If-Match each apply or get 412, the applied ones one chain of revisions', async () => {
    const issueId = await newIssue('Contested');
    // Each writer reads the issue, then writes with the ETag it read: a client doing optimistic concurrency.
    const writers = Array.from({ length: WRITERS }, async (_, i) => {
      const by = i % 2 ? acme.owner : acme.manager;
      const read = await live.call('get', `/api/v1/issues/${issueId}/`, { as: by });
      const etag = read.headers.get('etag')!;
      const res = await live.call('patch', `/api/v1/issues/${issueId}/`, {
        as: by,
        headers: { 'if-match': etag },
        body: { title: `Writer ${i}` },
      });
      return { i, etag, res };
    });
    const done = await Promise.all(writers);
    expect(done.map((d) => d.res.status).filter((s) => s !== 200 && s !== 412)).toEqual([]);
    const applied = done
      .filter((d) => d.res.status === 200)
      .map((d) => ({ from: Number(JSON.parse(d.etag)), position: d.res.headers.get('x-position'), d }))
      .sort((a, b) => a.from - b.from);
    expect(applied.length).toBeGreaterThan(0);
    count('PATCHes with If-Match', WRITERS);
    count('applied (one chain)', applied.length);
    count('refused with 412', WRITERS - applied.length);
    // One chain: the n applied ones read revisions 0, 1, …, n-1, and each made the next (its position in history).
    expect(applied.map((a) => a.from)).toEqual(applied.map((_, k) => k));
    for (const refused of done.filter((d) => d.res.status === 412))
      expect(refused.res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const now = await live.call('get', `/api/v1/issues/${issueId}/`, { as: acme.owner });
    expect(now.headers.get('etag')).toBe(`"${applied.length}"`);
    expect(now.body!.title).toBe(`Writer ${applied[applied.length - 1]!.d.i}`);
    const history = await historyOf(issueId);
    expect(history.map((h) => h.type)).toEqual(['IssueCreated', ...applied.map(() => 'IssueTitleChanged')]);
    expect(history.slice(1).map((h) => h.position)).toEqual(applied.map((a) => a.position));
    expect(history.slice(1).map((h) => h.changes.title)).toEqual(
      applied.map((a, k) => [k === 0 ? 'Contested' : `Writer ${applied[k - 1]!.d.i}`, `Writer ${a.d.i}`]),
    );
  });

  it('applies all of 100 concurrent PATCHes without If-Match, one after another: revision +100, each in history', async () => {
    const issueId = await newIssue('Busy');
    const responses = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        live.call('patch', `/api/v1/issues/${issueId}/`, {
          as: i % 2 ? acme.owner : acme.manager,
          body: { title: `Edit ${i}` },
        }),
      ),
    );
    const failed = responses.filter((r) => r.status !== 200);
    expect(failed.map((r) => `${r.status} ${r.text.slice(0, 200)}`)).toEqual([]);
    count('PATCHes without If-Match, all applied', WRITERS);
    const now = await live.call('get', `/api/v1/issues/${issueId}/`, { as: acme.owner });
    expect(now.headers.get('etag')).toBe(`"${WRITERS}"`);
    const history = await historyOf(issueId);
    expect(history).toHaveLength(WRITERS + 1);
    const titles = history.slice(1).map((h) => h.changes.title![1] as string);
    expect([...titles].sort()).toEqual(Array.from({ length: WRITERS }, (_, i) => `Edit ${i}`).sort());
    // Each change starts from the one before it: nothing was overwritten unseen.
    expect(history.slice(1).map((h) => h.changes.title![0])).toEqual(['Busy', ...titles.slice(0, -1)]);
    expect(now.body!.title).toBe(titles[titles.length - 1]);
    // Each answer's position is its own change's: 100 distinct changes, each one answer's.
    expect(responses.map((r) => r.headers.get('x-position')).sort()).toEqual(
      history
        .slice(1)
        .map((h) => h.position)
        .sort(),
    );
  });

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))(
    'leaves no open issue assigned to a removed member after removal races assignment and creation (round %i)',
    async (round) => {
      const member: TestUser = await api.user(`leaver${round}`);
      await addMember(api, acme.owner, acme.id, member.id, 'member');
      const targets = await Promise.all(
        Array.from({ length: 8 }, (_, i) => newIssue(`Target ${round}.${i}`)),
      );
      // The removal starts at a different moment each round, among the assignments and creations.
      const removal = (async () => {
        await sleep((round * 7) % 25);
        return live.call('delete', `/api/v1/organizations/${acme.id}/members/${member.id}/`, {
          as: acme.owner,
        });
      })();
      const assignments = targets.map((id, i) =>
        live.call('patch', `/api/v1/issues/${id}/`, {
          as: i % 2 ? acme.owner : acme.manager,
          body: { assigned_to_id: member.id },
        }),
      );
      const creations = Array.from({ length: 8 }, (_, i) =>
        live.call('post', '/api/v1/issues/', {
          as: member,
          body: { project: acme.projects.Tracker, title: `Mine ${round}.${i}`, assigned_to_id: member.id },
        }),
      );
      expect((await removal).status).toBe(204);
      // Before the removal: applied; after it: refused (400 naming the assignee, or 404 for the former member).
      for (const res of await Promise.all(assignments)) {
        expect([200, 400]).toContain(res.status);
        count(res.status === 200 ? 'assignments applied' : 'assignments refused');
      }
      for (const res of await Promise.all(creations)) {
        expect([201, 404]).toContain(res.status);
        count(res.status === 201 ? 'creations applied' : 'creations refused');
      }
      await finishRemovals(api);
      const stray = await strayAssignments(api, acme.id);
      count('removal races (rounds)');
      const late = await api.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM member_removals r JOIN events e ON e.event_id = r.event_id
         WHERE r.user_id = $1 AND e.type <> 'MemberRemoved'`,
        [member.id],
      );
      count('assignments recorded after the removal (then released)', late.rows[0]!.n);
      count('stray assignments after settling', stray.readModel.length + stray.log.length);
      expect(stray).toEqual({ readModel: [], log: [] });
      // And as a client sees it.
      const listed = await live.call(
        'get',
        `/api/v1/issues/?organization=${acme.id}&assigned_to=${member.id}`,
        {
          as: acme.owner,
        },
      );
      expect((listed.body!.results as { status: string }[]).filter((i) => i.status !== 'done')).toEqual([]);
    },
  );
});
