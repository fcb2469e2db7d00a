/**
 * `GET /admin/events/` and `GET /admin/streams/{stream}/`: the global log and single streams for admins, as pages
 * or (events) as an NDJSON export that is itself recorded in the admin's stream.
 */
import { randomUUID } from 'node:crypto';
import type { TestUser } from '../../test/support/api';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { allPages, expectProblem, expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';

interface Shown {
  position: string;
  stream: string;
  revision: number;
  type: string;
  occurred_at: string;
  actor: { id: string; username: string | null } | null;
  correlation_id: string | null;
  causation_id: string | null;
  command_id: string | null;
  schema_version: number;
  data: Record<string, unknown>;
  stored?: { schema_version: number; data: unknown } | null;
}

const NDJSON = 'application/x-ndjson';
const lines = (text: string): Shown[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Shown);

describe('admin views of the event log', () => {
  const api = useTestApi();
  const acme = useFixture(() => anOrganization(api, 'Acme').withMember('member').withProject('Web').build());
  const issue = useFixture(() => createIssue(api, acme.member, acme.projects.Web, { title: 'Log me' }));
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });

  const get = (path: string, as: TestUser = admin) => api.http.get(path).set(as.auth);
  const page = async (path: string): Promise<Shown[]> => {
    const res = await get(path);
    expectStatus(res, 200);
    return res.body.results as Shown[];
  };
  const everything = async (): Promise<Shown[]> =>
    (await allPages<Shown>(api, admin, '/api/v1/admin/events/?limit=100')).results;

  it('lists the whole log oldest first, from a position, in keyset pages', async () => {
    const all = await everything();
    expect(all.map((e) => e.position)).toEqual(all.map((e) => e.position).sort());
    expect(all[0]!.type).toBe('UserRegistered');
    expect(all.filter((e) => e.type === 'IssueCreated').map((e) => e.stream)).toEqual([`issue-${issue.id}`]);
    const after = all[2]!.position;
    const { results, pages } = await allPages<Shown>(
      api,
      admin,
      `/api/v1/admin/events/?after=${after}&limit=3`,
    );
    expect(results).toEqual(all.slice(3));
    expect(pages).toBe(Math.ceil((all.length - 3) / 3));
  });

  it('filters by type, stream, actor, organization and time range', async () => {
    const all = await everything();
    expect(
      (await page('/api/v1/admin/events/?type=MemberAdded&type=IssueCreated')).map((e) => e.type),
    ).toEqual(['MemberAdded', 'IssueCreated']);
    const stream = await page(`/api/v1/admin/events/?stream=issue-${issue.id}`);
    expect(stream.map((e) => e.type)).toEqual(['IssueCreated']);
    const byMember = await page(`/api/v1/admin/events/?actor=${acme.member.id}`);
    expect(byMember.map((e) => e.type)).toEqual(['UserRegistered', 'IssueCreated']);
    const inAcme = await page(`/api/v1/admin/events/?organization=${acme.id}`);
    expect(inAcme.map((e) => e.type)).toEqual([
      'OrganizationCreated',
      'MemberAdded',
      'ProjectKeyReserved',
      'ProjectCreated',
      'IssueCreated',
    ]);
    const created = all.findIndex((e) => e.type === 'OrganizationCreated');
    const [from, to] = [all[created]!.occurred_at, all[created + 2]!.occurred_at];
    const range = await page(`/api/v1/admin/events/?from=${from}&to=${to}`);
    expect(range.map((e) => e.type)).toEqual(['OrganizationCreated', 'MemberAdded']);
    // Occurrence times are the deciders' clocks: the range is by time, the order by position.
    expect(range).toEqual(all.filter((e) => e.occurred_at >= from && e.occurred_at < to));
  });

  it("shows one stream's events with their metadata in revision order, and 404 for a stream with none", async () => {
    const events = await page(`/api/v1/admin/streams/organization-${acme.id}/`);
    expect(events.map((e) => [e.revision, e.type])).toEqual([
      [0, 'OrganizationCreated'],
      [1, 'MemberAdded'],
      [2, 'ProjectKeyReserved'],
    ]);
    expect(events[1]).toEqual(
      expect.objectContaining({
        actor: { id: acme.owner.id, username: acme.owner.username },
        correlation_id: expect.any(String),
        causation_id: expect.any(String),
        command_id: expect.any(String),
        schema_version: 1,
      }),
    );
    const paged = await allPages<Shown>(
      api,
      admin,
      `/api/v1/admin/streams/ORGANIZATION-${acme.id.toUpperCase()}/?limit=1`,
    );
    expect(paged).toEqual({ results: events, pages: 3 });
    expectProblem(await get(`/api/v1/admin/streams/issue-${randomUUID()}/`), 404);
  });

  it('shows each event as stored too with ?stored=true', async () => {
    const [created] = await page(`/api/v1/admin/streams/issue-${issue.id}/?stored=true`);
    const [stored] = await api.system.store.readStream(`issue-${issue.id}`);
    expect(created!.stored).toEqual({ schema_version: 2, data: stored!.data });
    expect(created!.data).toEqual(stored!.data);
  });

  it('refuses bad filters and stream names with 400 naming the field', async () => {
    for (const [path, field] of [
      ['/api/v1/admin/events/?after=2025-01-01T00:00:00Z', 'after'],
      ['/api/v1/admin/events/?from=yesterday', 'from'],
      ['/api/v1/admin/events/?to=2025-13-01T00:00:00Z', 'to'],
      ['/api/v1/admin/events/?type=Nope', 'type'],
      ['/api/v1/admin/events/?stream=events', 'stream'],
      ['/api/v1/admin/events/?actor=me', 'actor'],
      ['/api/v1/admin/events/?organization=acme', 'organization'],
      ['/api/v1/admin/events/?stored=yes', 'stored'],
      ['/api/v1/admin/events/?limit=101', 'limit'],
      ['/api/v1/admin/streams/$all/', 'stream'],
      ['/api/v1/admin/streams/organization-123/', 'stream'],
      [`/api/v1/admin/streams/team-${randomUUID()}/`, 'stream'],
    ] as const) {
      expectProblem(await get(path), 400, [field]);
    }
  });

  it('answers 403 to anyone signed in who is not an admin, and 401 without a token, on every route', async () => {
    const paths = [
      '/api/v1/admin/events/',
      `/api/v1/admin/streams/organization-${acme.id}/`,
      '/api/v1/admin/events/?stored=true',
    ];
    for (const path of paths) {
      for (const user of [acme.owner, acme.member]) expectProblem(await get(path, user), 403);
      expectProblem(await api.http.get(path), 401);
    }
    expectProblem(
      await api.http.get('/api/v1/admin/events/').set(acme.owner.auth).set('Accept', NDJSON),
      403,
    );
    expectProblem(await api.http.get('/api/v1/admin/events/').set('Accept', NDJSON), 401);
  });

  it('streams the log as NDJSON, records the export in the admin stream, and lists that record', async () => {
    const res = await get('/api/v1/admin/events/?type=MemberAdded&type=IssueCreated').set('Accept', NDJSON);
    expectStatus(res, 200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(lines(res.text)).toEqual(await page('/api/v1/admin/events/?type=MemberAdded&type=IssueCreated'));
    const recordedAt = res.headers['x-position'] as string;
    expect(recordedAt).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
    const [record] = await page(`/api/v1/admin/events/?type=AdminActionRecorded&min_position=${recordedAt}`);
    expect(record).toEqual(
      expect.objectContaining({
        position: recordedAt,
        stream: `admin-${admin.id}`,
        actor: { id: admin.id, username: admin.username },
        data: {
          adminId: admin.id,
          action: 'events.exported',
          details: { type: 'MemberAdded,IssueCreated', stored: false },
        },
      }),
    );
    expect(await page(`/api/v1/admin/streams/admin-${admin.id}/`)).toEqual([record]);
  });

  it('exports everything after a position up to its own record, and nothing when nothing matches', async () => {
    const all = await everything();
    const res = await get(`/api/v1/admin/events/?after=${all[4]!.position}`).set('Accept', NDJSON);
    expectStatus(res, 200);
    // Up to the export's own record: the log as it was when the export began.
    expect(lines(res.text)).toEqual(all.slice(5));
    const none = await get(`/api/v1/admin/events/?stream=issue-${randomUUID()}`).set('Accept', NDJSON);
    expectStatus(none, 200);
    expect(none.text).toBe('');
  });
});
