/** Organizations, members and memberships over HTTP: every success and every refusal API.md lists. */
import type { TestUser } from '../../test/support/api';
import {
  addMember,
  anOrganization,
  createIssue,
  createOrganization,
  createProject,
} from '../../test/support/fixtures';
import { allPages, expectProblem, expectStatus, relative } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';
import { eventually } from '../../test/support/eventually';

describe('organizations and members over HTTP', () => {
  const api = useTestApi();
  /** Acme: its owner, a manager and a member. */
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('manager', 'manager').withMember('member').build(),
  );

  const members = async (organizationId: string, by: TestUser = acme.owner) =>
    (
      await allPages<{
        user: { id: string; username: string };
        role: string;
        joined_at: string;
      }>(api, by, `/api/v1/organizations/${organizationId}/members/`)
    ).results;

  describe('POST /organizations/', () => {
    it('creates an organization whose creator is its owner, with Location, ETag and X-Position', async () => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .send({ name: '  Initech  ' });
      expectStatus(res, 201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'Initech',
        created_at: expect.any(String),
        role: 'owner',
      });
      expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);
      expect(res.headers.location).toBe(`/api/v1/organizations/${res.body.id}/`);
      expect(res.headers.etag).toBe('"0"');
      expect(res.headers['x-position']).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
      const read = await api.http.get(res.headers.location as string).set(acme.owner.auth);
      expectStatus(read, 200);
      expect(read.body).toEqual({ ...res.body, member_count: 1 });
    });

    it('answers without the trailing slash too', async () => {
      const res = await api.http
        .post('/api/v1/organizations')
        .set(acme.member.auth)
        .send({ name: 'No slash' });
      expectStatus(res, 201);
      expect(res.body.role).toBe('owner');
    });

    it.each([
      ['a missing name', {}],
      ['an empty name', { name: '' }],
      ['a blank name', { name: '   ' }],
      ['a name of 256 characters', { name: 'x'.repeat(256) }],
      ['a name that is not a string', { name: 42 }],
    ])('refuses %s with 400 naming name', async (_, body) => {
      const res = await api.http.post('/api/v1/organizations/').set(acme.owner.auth).send(body);
      expectProblem(res, 400, ['name']);
    });

    it('accepts a name of 255 characters', async () => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .send({ name: 'y'.repeat(255) });
      expectStatus(res, 201);
    });
  });

  describe('GET /organizations/ and /memberships/', () => {
    it("lists the caller's organizations with the caller's role in each, and nobody else's", async () => {
      const other = await api.user('other');
      const theirs = await createOrganization(api, other, 'Theirs');
      const res = await api.http.get('/api/v1/organizations/').set(acme.manager.auth);
      expectStatus(res, 200);
      expect(res.body).toEqual({
        results: [{ id: acme.id, name: expect.any(String), created_at: expect.any(String), role: 'manager' }],
        next: null,
      });
      const list = await api.http.get('/api/v1/organizations').set(other.auth);
      expect(list.body.results.map((o: { id: string }) => o.id)).toEqual([theirs]);
    });

    it('pages with limit and a next URL that works, each organization once', async () => {
      const collector = await api.user('collector');
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push(await createOrganization(api, collector, `Org ${i}`));
      const first = await api.http.get('/api/v1/organizations/?limit=2').set(collector.auth);
      expectStatus(first, 200);
      expect(first.body.results).toHaveLength(2);
      expect(first.body.next).toMatch(/^http:\/\/[^/]+\/api\/v1\/organizations\/\?limit=2&cursor=/);
      const { results, pages } = await allPages<{ id: string }>(
        api,
        collector,
        '/api/v1/organizations/?limit=2',
      );
      expect(pages).toBe(3);
      expect(results.map((o) => o.id)).toEqual(created);
    });

    it("lists the caller's memberships with role and joined_at", async () => {
      const res = await api.http.get('/api/v1/memberships/').set(acme.manager.auth);
      expectStatus(res, 200);
      expect(res.body).toEqual({
        results: [{ organization: acme.id, role: 'manager', joined_at: expect.any(String) }],
        next: null,
      });
      const noSlash = await api.http.get('/api/v1/memberships').set(acme.manager.auth);
      expect(noSlash.body).toEqual(res.body);
    });

    it('pages memberships too', async () => {
      const joiner = await api.user('joiner');
      for (let i = 0; i < 3; i++) await createOrganization(api, joiner, `J${i}`);
      const { results, pages } = await allPages(api, joiner, '/api/v1/memberships/?limit=1');
      expect(results).toHaveLength(3);
      expect(pages).toBe(3);
    });
  });

  describe('GET and PATCH /organizations/{id}/', () => {
    it('shows the organization with the role, member count and an ETag', async () => {
      const res = await api.http.get(`/api/v1/organizations/${acme.id}`).set(acme.member.auth);
      expectStatus(res, 200);
      expect(res.body).toEqual({
        id: acme.id,
        name: 'Acme',
        created_at: expect.any(String),
        role: 'member',
        member_count: 3,
      });
      expect(res.headers.etag).toMatch(/^"\d+"$/);
    });

    it('answers 404 for an organization that does not exist', async () => {
      const res = await api.http
        .get('/api/v1/organizations/0190a5b8-0000-7000-8000-000000000000/')
        .set(acme.owner.auth);
      expectProblem(res, 404);
    });

    it('lets the owner rename it, and answers the new state with a new ETag', async () => {
      const mine = await createOrganization(api, acme.owner, 'Old name');
      const res = await api.http
        .patch(`/api/v1/organizations/${mine}/`)
        .set(acme.owner.auth)
        .send({ name: 'New name' });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ id: mine, name: 'New name', role: 'owner', member_count: 1 });
      expect(res.headers.etag).toBe('"1"');
      expect(res.headers['x-position']).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
      const read = await api.http.get(`/api/v1/organizations/${mine}`).set(acme.owner.auth);
      expect(read.body.name).toBe('New name');
      expect(read.headers.etag).toBe('"1"');
    });

    it('changes nothing when the name is the same', async () => {
      const mine = await createOrganization(api, acme.owner, 'Same');
      const res = await api.http
        .patch(`/api/v1/organizations/${mine}`)
        .set(acme.owner.auth)
        .send({ name: 'Same' });
      expectStatus(res, 200);
      expect(res.headers.etag).toBe('"0"');
    });

    it('refuses a manager with 403 and a bad name with 400 naming name', async () => {
      expectProblem(
        await api.http
          .patch(`/api/v1/organizations/${acme.id}/`)
          .set(acme.manager.auth)
          .send({ name: 'Mine now' }),
        403,
      );
      expectProblem(
        await api.http.patch(`/api/v1/organizations/${acme.id}/`).set(acme.owner.auth).send({ name: '' }),
        400,
        ['name'],
      );
      expectProblem(
        await api.http.patch(`/api/v1/organizations/${acme.id}/`).set(acme.owner.auth).send({}),
        400,
        ['name'],
      );
    });
  });

  describe('members', () => {
    it('lists members with user, role and joined_at, in the order they joined', async () => {
      const res = await api.http.get(`/api/v1/organizations/${acme.id}/members`).set(acme.member.auth);
      expectStatus(res, 200);
      expect(res.body.next).toBeNull();
      expect(res.body.results).toEqual([
        {
          user: { id: acme.owner.id, username: acme.owner.username },
          role: 'owner',
          joined_at: expect.any(String),
        },
        {
          user: { id: acme.manager.id, username: acme.manager.username },
          role: 'manager',
          joined_at: expect.any(String),
        },
        {
          user: { id: acme.member.id, username: acme.member.username },
          role: 'member',
          joined_at: expect.any(String),
        },
      ]);
      const { results, pages } = await allPages(
        api,
        acme.member,
        `/api/v1/organizations/${acme.id}/members/?limit=1`,
      );
      expect(results).toEqual(res.body.results);
      expect(pages).toBe(3);
    });

    it('adds a member by user_id with Location, by username, and with the default role member', async () => {
      const team = await createOrganization(api, acme.owner, 'Team');
      const [a, b] = await Promise.all([api.user('a'), api.user('b')]);
      const byId = await api.http
        .post(`/api/v1/organizations/${team}/members/`)
        .set(acme.owner.auth)
        .send({ user_id: a.id, role: 'manager' });
      expectStatus(byId, 201);
      expect(byId.body).toEqual({
        user: { id: a.id, username: a.username },
        role: 'manager',
        joined_at: expect.any(String),
      });
      expect(byId.headers.location).toBe(`/api/v1/organizations/${team}/members/${a.id}/`);
      expect(byId.headers['x-position']).toBeDefined();
      const byName = await api.http
        .post(`/api/v1/organizations/${team}/members`)
        .set(acme.owner.auth)
        .send({ username: b.username });
      expectStatus(byName, 201);
      expect(byName.body).toMatchObject({ user: { id: b.id }, role: 'member' });
      const seen = await api.http.get(`/api/v1/organizations/${team}/`).set(b.auth);
      expect(seen.body).toMatchObject({ role: 'member', member_count: 3 });
    });

    it('lets a manager add members, and refuses a manager adding a manager or an owner with 403', async () => {
      const [c, d, e] = await Promise.all([api.user('c'), api.user('d'), api.user('e')]);
      const added = await api.http
        .post(`/api/v1/organizations/${acme.id}/members/`)
        .set(acme.manager.auth)
        .send({ user_id: c.id, role: 'member' });
      expectStatus(added, 201);
      expectProblem(
        await api.http
          .post(`/api/v1/organizations/${acme.id}/members/`)
          .set(acme.manager.auth)
          .send({ user_id: d.id, role: 'manager' }),
        403,
      );
      expectProblem(
        await api.http
          .post(`/api/v1/organizations/${acme.id}/members/`)
          .set(acme.manager.auth)
          .send({ user_id: e.id, role: 'owner' }),
        403,
      );
      expect((await members(acme.id)).map((m) => m.user.id)).not.toEqual(expect.arrayContaining([d.id]));
    });

    it('refuses a member adding anyone with 403', async () => {
      const f = await api.user('f');
      expectProblem(
        await api.http
          .post(`/api/v1/organizations/${acme.id}/members/`)
          .set(acme.member.auth)
          .send({ user_id: f.id }),
        403,
      );
    });

    it('refuses someone who is already a member with 409', async () => {
      const res = await api.http
        .post(`/api/v1/organizations/${acme.id}/members/`)
        .set(acme.owner.auth)
        .send({ user_id: acme.member.id, role: 'member' });
      expectProblem(res, 409);
      const byName = await api.http
        .post(`/api/v1/organizations/${acme.id}/members/`)
        .set(acme.owner.auth)
        .send({ username: acme.manager.username });
      expectProblem(byName, 409);
    });

    it.each([
      ['an unknown user id', { user_id: '0190a5b8-0000-7000-8000-000000000001' }, 'user_id'],
      ['a user id that is not a UUID', { user_id: 'nope' }, 'user_id'],
      ['an unknown username', { username: 'nobody-by-that-name' }, 'username'],
      ['neither user_id nor username', { role: 'member' }, 'user_id'],
      ['an unknown role', { username: 'whoever', role: 'admin' }, 'role'],
    ])('refuses %s with 400 naming %s', async (_, body, field) => {
      expectProblem(
        await api.http.post(`/api/v1/organizations/${acme.id}/members/`).set(acme.owner.auth).send(body),
        400,
        [field],
      );
    });

    it('shows members as { id, username }, never their email', async () => {
      const res = await api.http.get(`/api/v1/organizations/${acme.id}/members/`).set(acme.member.auth);
      expectStatus(res, 200);
      for (const m of res.body.results as { user: Record<string, unknown> }[]) {
        expect(Object.keys(m.user).sort()).toEqual(['id', 'username']);
      }
      expect(res.text).not.toContain(acme.owner.email);
      const stranger = await api.user('stranger');
      const added = await api.http
        .post(`/api/v1/organizations/${await createOrganization(api, acme.owner, 'Probe')}/members/`)
        .set(acme.owner.auth)
        .send({ username: stranger.username });
      expectStatus(added, 201);
      expect(added.body.user).toEqual({ id: stranger.id, username: stranger.username });
      expect(added.text).not.toContain(stranger.email);
    });

    it('answers a caller who cannot see the organization 404 alike for known and unknown usernames', async () => {
      const outsider = await api.user('outsider');
      const known = await api.http
        .post(`/api/v1/organizations/${acme.id}/members/`)
        .set(outsider.auth)
        .send({ username: acme.member.username });
      const unknown = await api.http
        .post(`/api/v1/organizations/${acme.id}/members/`)
        .set(outsider.auth)
        .send({ username: 'nobody-by-that-name' });
      expectProblem(known, 404);
      expectProblem(unknown, 404);
      expect(unknown.body).toEqual(known.body);
      const missing = '0190a5b8-0000-7000-8000-0000000000ff';
      const nowhere = await api.http
        .post(`/api/v1/organizations/${missing}/members/`)
        .set(outsider.auth)
        .send({ username: acme.member.username });
      expect(nowhere.body).toEqual({ ...known.body });
      // A member who may not add anyone gets 403 before any lookup, known user or not.
      const byMember = await api.http
        .post(`/api/v1/organizations/${acme.id}/members/`)
        .set(acme.member.auth)
        .send({ username: 'nobody-by-that-name' });
      expectProblem(byMember, 403);
    });

    it("lets the owner change a member's role", async () => {
      const g = await api.user('g');
      await addMember(api, acme.owner, acme.id, g.id);
      const res = await api.http
        .patch(`/api/v1/organizations/${acme.id}/members/${g.id}/`)
        .set(acme.owner.auth)
        .send({ role: 'manager' });
      expectStatus(res, 200);
      expect(res.body).toEqual({
        user: { id: g.id, username: g.username },
        role: 'manager',
        joined_at: expect.any(String),
      });
      const noSlash = await api.http
        .patch(`/api/v1/organizations/${acme.id}/members/${g.id}`)
        .set(acme.owner.auth)
        .send({ role: 'member' });
      expectStatus(noSlash, 200);
      expect(noSlash.body.role).toBe('member');
    });

    it('refuses demoting the last owner with 409, and allows it once there is another owner', async () => {
      const solo = await api.user('solo');
      const club = await createOrganization(api, solo, 'Club');
      const demote = await api.http
        .patch(`/api/v1/organizations/${club}/members/${solo.id}/`)
        .set(solo.auth)
        .send({ role: 'member' });
      expectProblem(demote, 409);
      const partner = await api.user('partner');
      await addMember(api, solo, club, partner.id, 'owner');
      const again = await api.http
        .patch(`/api/v1/organizations/${club}/members/${solo.id}/`)
        .set(solo.auth)
        .send({ role: 'member' });
      expectStatus(again, 200);
      expect(again.body.role).toBe('member');
      // Now the partner is the last owner, and may not leave.
      expectProblem(
        await api.http.delete(`/api/v1/organizations/${club}/members/${partner.id}/`).set(partner.auth),
        409,
      );
    });

    it('refuses changing the role of a non-member with 404 and a bad role with 400 naming role', async () => {
      const stranger = await api.user('stranger');
      expectProblem(
        await api.http
          .patch(`/api/v1/organizations/${acme.id}/members/${stranger.id}/`)
          .set(acme.owner.auth)
          .send({ role: 'manager' }),
        404,
      );
      expectProblem(
        await api.http
          .patch(`/api/v1/organizations/${acme.id}/members/${acme.member.id}/`)
          .set(acme.owner.auth)
          .send({ role: 'boss' }),
        400,
        ['role'],
      );
      expectProblem(
        await api.http
          .patch(`/api/v1/organizations/${acme.id}/members/not-a-uuid/`)
          .set(acme.owner.auth)
          .send({ role: 'member' }),
        400,
        ['user_id'],
      );
    });

    it('lets the owner remove a member, who then no longer sees the organization', async () => {
      const h = await api.user('h');
      await addMember(api, acme.owner, acme.id, h.id);
      const res = await api.http
        .delete(`/api/v1/organizations/${acme.id}/members/${h.id}/`)
        .set(acme.owner.auth);
      expectStatus(res, 204);
      expect(res.text).toBe('');
      expect(res.headers['x-position']).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
      expect((await members(acme.id)).map((m) => m.user.id)).not.toContain(h.id);
      expectProblem(await api.http.get(`/api/v1/organizations/${acme.id}/`).set(h.auth), 404);
      expect((await api.http.get('/api/v1/memberships/').set(h.auth)).body.results).toEqual([]);
    });

    it('lets a member remove themself, without the trailing slash too', async () => {
      const leaver = await api.user('leaver');
      await addMember(api, acme.owner, acme.id, leaver.id);
      expectStatus(
        await api.http.delete(`/api/v1/organizations/${acme.id}/members/${leaver.id}`).set(leaver.auth),
        204,
      );
      expectProblem(await api.http.get(`/api/v1/organizations/${acme.id}/members/`).set(leaver.auth), 404);
    });

    it('lets a manager remove themself but not another member (403)', async () => {
      const [boss, other] = await Promise.all([api.user('boss'), api.user('other')]);
      await addMember(api, acme.owner, acme.id, boss.id, 'manager');
      await addMember(api, acme.owner, acme.id, other.id, 'member');
      expectProblem(
        await api.http.delete(`/api/v1/organizations/${acme.id}/members/${other.id}/`).set(boss.auth),
        403,
      );
      expectProblem(
        await api.http.delete(`/api/v1/organizations/${acme.id}/members/${other.id}/`).set(acme.member.auth),
        403,
      );
      expectStatus(
        await api.http.delete(`/api/v1/organizations/${acme.id}/members/${boss.id}/`).set(boss.auth),
        204,
      );
    });

    it('refuses removing the last owner with 409 and someone who is not a member with 404', async () => {
      const alone = await api.user('alone');
      const solo = await createOrganization(api, alone, 'Solo');
      expectProblem(
        await api.http.delete(`/api/v1/organizations/${solo}/members/${alone.id}/`).set(alone.auth),
        409,
      );
      const stranger = await api.user('stranger');
      expectProblem(
        await api.http.delete(`/api/v1/organizations/${solo}/members/${stranger.id}/`).set(alone.auth),
        404,
      );
    });

    it("releases the removed member's open assignments in that organization, and only those", async () => {
      const boss = await api.user('boss');
      const leaver = await api.user('leaver');
      const shop = await createOrganization(api, boss, 'Shop');
      const elsewhere = await createOrganization(api, boss, 'Elsewhere');
      await addMember(api, boss, shop, leaver.id);
      await addMember(api, boss, elsewhere, leaver.id);
      const project = await createProject(api, boss, shop);
      const otherProject = await createProject(api, boss, elsewhere);
      const open = await createIssue(api, boss, project, { title: 'open', assigned_to_id: leaver.id });
      const busy = await createIssue(api, boss, project, {
        title: 'busy',
        status: 'in_progress',
        assigned_to_id: leaver.id,
      });
      const blocked = await createIssue(api, boss, project, {
        title: 'blocked',
        status: 'blocked',
        assigned_to_id: leaver.id,
      });
      const done = await createIssue(api, boss, project, {
        title: 'done',
        status: 'done',
        assigned_to_id: leaver.id,
      });
      const bosses = await createIssue(api, boss, project, {
        title: 'the boss has it',
        assigned_to_id: boss.id,
      });
      const kept = await createIssue(api, boss, otherProject, {
        title: 'other org',
        assigned_to_id: leaver.id,
      });

      const removed = await api.http
        .delete(`/api/v1/organizations/${shop}/members/${leaver.id}/`)
        .set(boss.auth);
      expectStatus(removed, 204);

      // The member-removal process releases them right after the answer.
      const assignee = async (id: string) =>
        (await api.http.get(`/api/v1/issues/${id}/`).set(boss.auth)).body.assigned_to;
      await eventually(async () => {
        expect(await assignee(open.id)).toBeNull();
        expect(await assignee(busy.id)).toBeNull();
        expect(await assignee(blocked.id)).toBeNull();
      });
      expect(await assignee(done.id)).toEqual({ id: leaver.id, username: leaver.username });
      expect(await assignee(bosses.id)).toEqual({ id: boss.id, username: boss.username });
      expect(await assignee(kept.id)).toEqual({ id: leaver.id, username: leaver.username });

      const history = await api.http.get(`/api/v1/issues/${open.id}/history/`).set(boss.auth);
      expect(history.body.results.at(-1)).toMatchObject({ type: 'IssueUnassigned', actor: { id: boss.id } });
      const mine = await api.http.get(`/api/v1/issues/?assigned_to=me`).set(leaver.auth);
      expect(mine.body.results.map((i: { id: string }) => i.id)).toEqual([kept.id]);
    });

    it('releases assignments when the member leaves by themself too', async () => {
      const boss = await api.user('boss');
      const quitter = await api.user('quitter');
      const shop = await createOrganization(api, boss, 'Shop');
      await addMember(api, boss, shop, quitter.id);
      const project = await createProject(api, boss, shop);
      const issue = await createIssue(api, quitter, project, { assigned_to_id: quitter.id });
      expectStatus(
        await api.http.delete(`/api/v1/organizations/${shop}/members/${quitter.id}/`).set(quitter.auth),
        204,
      );
      await eventually(async () => {
        const read = await api.http.get(`/api/v1/issues/${issue.id}/`).set(boss.auth);
        expect(read.body.assigned_to).toBeNull();
      });
    });

    it('gives the next URL of the members list as an absolute URL that keeps the limit', async () => {
      const res = await api.http
        .get(`/api/v1/organizations/${acme.id}/members/?limit=2`)
        .set(acme.owner.auth);
      expectStatus(res, 200);
      const next = relative(res.body.next);
      expect(next).toMatch(/limit=2/);
      expectStatus(await api.http.get(next).set(acme.owner.auth), 200);
    });
  });
});
