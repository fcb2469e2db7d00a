/**
 * `GET /organizations/{id}/audit/`: an owner reads everything that happened in the organization, its projects and
 * its issues, newest first, from the event index; nobody else does, and nothing of another organization shows.
 */
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
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
  command_id: string | null;
  schema_version: number;
  data: Record<string, unknown>;
  stored?: { schema_version: number; data: unknown } | null;
}

const types = (events: readonly Shown[]) => events.map((e) => e.type);

describe('organization audit log', () => {
  const api = useTestApi();
  const acme = useFixture(() =>
    anOrganization(api, 'Acme')
      .withMember('manager', 'manager')
      .withMember('member')
      .withMember('temp')
      .withProject('Web')
      .build(),
  );
  const other = useFixture(() => anOrganization(api, 'Other').withProject('Elsewhere').build());
  /** What happened in Acme after it was built, and one change in Other meanwhile. */
  const story = useFixture(async () => {
    const renamed = await api.http
      .patch(`/api/v1/organizations/${acme.id}/`)
      .set(acme.owner.auth)
      .set('X-Request-Id', 'audit-rename-1')
      .send({ name: 'Acme Inc' });
    expectStatus(renamed, 200);
    const created = await api.http
      .post('/api/v1/issues/')
      .set(acme.manager.auth)
      .set('Idempotency-Key', 'audit-key-1')
      .send({ project: acme.projects.Web, title: 'Fix the login' });
    expectStatus(created, 201);
    const issue = created.body.id as string;
    const started = await api.http
      .patch(`/api/v1/issues/${issue}/`)
      .set(acme.member.auth)
      .send({ status: 'in_progress' });
    expectStatus(started, 200);
    await createIssue(api, other.owner, other.projects.Elsewhere, { title: 'Not Acme' });
    const promoted = await api.http
      .patch(`/api/v1/organizations/${acme.id}/members/${acme.temp.id}/`)
      .set(acme.owner.auth)
      .send({ role: 'manager' });
    expectStatus(promoted, 200);
    return { issue, renamedAt: renamed.headers['x-position'] as string };
  });

  const audit = (query = '', id = acme.id) => `/api/v1/organizations/${id}/audit/${query}`;
  const read = async (query = ''): Promise<Shown[]> => {
    const res = await api.http.get(audit(query)).set(acme.owner.auth);
    expectStatus(res, 200);
    return res.body.results as Shown[];
  };

  it("shows an owner the organization's, its projects' and its issues' events, newest first", async () => {
    const events = await read();
    expect(types(events)).toEqual([
      'MemberRoleChanged',
      'IssueStatusChanged',
      'IssueCreated',
      'OrganizationRenamed',
      'ProjectCreated',
      // The project's key, taken in the organization's stream just before the project was created.
      'ProjectKeyReserved',
      'MemberAdded',
      'MemberAdded',
      'MemberAdded',
      'OrganizationCreated',
    ]);
    const positions = events.map((e) => e.position);
    expect([...positions].sort().reverse()).toEqual(positions);
    expect(events.every((e) => e.data.organizationId === acme.id)).toBe(true);
    expect(events.some((e) => e.stream === `project-${other.projects.Elsewhere}`)).toBe(false);
  });

  it('names who did each thing, with the request, command, schema version and position', async () => {
    const events = await read();
    const renamed = events.find((e) => e.type === 'OrganizationRenamed')!;
    expect(renamed).toEqual(
      expect.objectContaining({
        position: story.renamedAt,
        stream: `organization-${acme.id}`,
        revision: 5,
        actor: { id: acme.owner.id, username: acme.owner.username },
        correlation_id: 'audit-rename-1',
        schema_version: 1,
        data: expect.objectContaining({ organizationId: acme.id, name: 'Acme Inc' }),
      }),
    );
    expect(renamed.occurred_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const created = events.find((e) => e.type === 'IssueCreated')!;
    expect(created.actor).toEqual({ id: acme.manager.id, username: acme.manager.username });
    expect(created.stream).toBe(`issue-${story.issue}`);
    expect(created.command_id).toContain('audit-key-1');
    const started = events.find((e) => e.type === 'IssueStatusChanged')!;
    expect(started.actor).toEqual({ id: acme.member.id, username: acme.member.username });
    expect(started.data).toEqual(expect.objectContaining({ status: 'in_progress', previousStatus: 'open' }));
  });

  it('pages by keyset to the same events', async () => {
    const { results, pages } = await allPages<Shown>(api, acme.owner, audit('?limit=4'));
    expect(pages).toBe(3);
    expect(results).toEqual(await read());
  });

  it('filters by type (repeatable), actor and time, strictly after and before', async () => {
    expect(types(await read('?type=MemberAdded&type=OrganizationRenamed'))).toEqual([
      'OrganizationRenamed',
      'MemberAdded',
      'MemberAdded',
      'MemberAdded',
    ]);
    expect(types(await read(`?actor=${acme.manager.id}`))).toEqual(['IssueCreated']);
    expect(types(await read(`?actor=${acme.manager.id.toUpperCase()}`))).toEqual(['IssueCreated']);
    const all = await read();
    const renamedAt = all.find((e) => e.type === 'OrganizationRenamed')!.occurred_at;
    const createdAt = all.find((e) => e.type === 'IssueCreated')!.occurred_at;
    expect(types(await read(`?after=${renamedAt}`))).toEqual([
      'MemberRoleChanged',
      'IssueStatusChanged',
      'IssueCreated',
    ]);
    expect(types(await read(`?before=${createdAt}&type=OrganizationRenamed`))).toEqual([
      'OrganizationRenamed',
    ]);
    expect(types(await read(`?after=${renamedAt}&before=${createdAt}`))).toEqual([]);
  });

  it('refuses bad filters with 400 naming each field', async () => {
    for (const [query, field] of [
      ['?type=NoSuchEvent', 'type'],
      ['?actor=somebody', 'actor'],
      ['?after=yesterday', 'after'],
      ['?before=2025-02-30T00:00:00Z', 'before'],
      ['?limit=0', 'limit'],
      ['?cursor=nonsense', 'cursor'],
      ['?stored=maybe', 'stored'],
      ['?min_position=12', 'min_position'],
    ] as const) {
      expectProblem(await api.http.get(audit(query)).set(acme.owner.auth), 400, [field]);
    }
  });

  it('answers 403 to managers and members, 404 to everyone outside and for unknown ids, 401 without a token', async () => {
    expectProblem(await api.http.get(audit()).set(acme.manager.auth), 403);
    expectProblem(await api.http.get(audit()).set(acme.member.auth), 403);
    expectProblem(await api.http.get(audit()).set(other.owner.auth), 404);
    expectProblem(await api.http.get(audit('', randomUUID())).set(acme.owner.auth), 404);
    const res: Response = await api.http.get(audit());
    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('waits for ?min_position= before answering (read your writes)', async () => {
    const renamed = await api.http
      .patch(`/api/v1/organizations/${other.id}/`)
      .set(other.owner.auth)
      .set('Prefer', 'respond-async')
      .send({ name: 'Other Ltd' });
    expectStatus(renamed, 202);
    const res = await api.http
      .get(audit(`?min_position=${renamed.body.position}&limit=1`, other.id))
      .set(other.owner.auth);
    expectStatus(res, 200);
    expect(res.body.results[0]).toEqual(
      expect.objectContaining({ type: 'OrganizationRenamed', position: renamed.body.position }),
    );
  });

  it('shows an event stored in an old shape as it reads today, and with ?stored=true as it is stored', async () => {
    const issueId = randomUUID();
    const v0 = {
      id: issueId,
      project: acme.projects.Web,
      org: acme.id,
      title: 'Imported',
      body: null,
      status: 'open',
      priority: 'low',
      due: null,
      assignee: null,
      author: acme.owner.id,
    };
    const appended = await api.system.store.appendToStream(
      `issue-${issueId}`,
      [
        {
          type: 'IssueCreated',
          data: v0,
          metadata: {
            actorId: acme.owner.id,
            correlationId: 'legacy-import',
            causationId: 'legacy-import',
            commandId: `legacy-import-${issueId}`,
            schemaVersion: 0,
            occurredAt: new Date().toISOString(),
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    const [plain] = await read(`?min_position=${appended.position}&type=IssueCreated&limit=1`);
    expect(plain).toEqual(
      expect.objectContaining({
        stream: `issue-${issueId}`,
        schema_version: 2,
        data: expect.objectContaining({
          issueId,
          organizationId: acme.id,
          description: '',
          createdBy: acme.owner.id,
        }),
      }),
    );
    expect(plain).not.toHaveProperty('stored');
    const [withStored] = await read('?type=IssueCreated&limit=2&stored=true');
    expect(withStored).toEqual({ ...plain, stored: { schema_version: 0, data: v0 } });
  });
});
