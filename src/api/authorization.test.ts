/**
 * The authorization matrix: every endpoint × (owner, manager, member, non-member, admin, anonymous) × (own, foreign
 * organization), against API.md's "who" columns. Anonymous is 401, anything in an organization the caller does
 * not belong to is 404 (never 403), a member whose role does not allow the action is 403. The admin endpoints
 * answer admins only (403 for anyone else signed in); an admin belongs to neither organization and gets nothing
 * more of theirs than any non-member. Every refusal leaves the event log as it was.
 */
import type { Response } from 'supertest';
import type { TestUser } from '../../test/support/api';
import { addMember, createIssue, createProject, twoOrganizations } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import type { JobAdmin } from '../jobs/job';
import { routeKey, SERVED_ROUTES } from '../../test/support/routes';
import { giveNotification } from '../../test/support/jobs';
import { useFixture, useTestApi } from '../../test/support/suite';

type Actor = 'owner' | 'manager' | 'member' | 'outsider' | 'admin' | 'anonymous';
type Scope = 'own' | 'foreign';

const ACTORS: readonly Actor[] = ['owner', 'manager', 'member', 'outsider', 'admin', 'anonymous'];

/** Not in the organization: a non-member, or an admin (whose powers are the admin endpoints, nothing more). */
const outside = (actor: Actor): boolean => actor === 'outsider' || actor === 'admin';

/** The jobs the admin endpoints show (the scheduler itself is tested in src/jobs/scheduler/ and admin.test.ts). */
const jobAdmin: JobAdmin = {
  list: async () => [
    {
      name: 'cleanup',
      description: 'deletes what has expired',
      schedule: 'cron 17 * * * * (UTC)',
      lastRunAt: null,
      lastFinishedAt: null,
      nextRunAt: null,
      failures: 0,
      lastFailure: null,
      running: false,
    },
  ],
  runNow: async (name) => name === 'cleanup',
};

interface Prepared {
  path: string;
  body?: unknown;
  /** A multipart/form-data body with this file in the field `file`, instead of JSON. */
  file?: { content: Buffer; filename: string };
}

interface Endpoint {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** As in the OpenAPI document. */
  route: string;
  /** Variant label, when one route has several rows. */
  variant?: string;
  /** No token needed (register, login, refresh). */
  public?: boolean;
  /** Acts on one organization's object: outsiders and foreign objects are 404. */
  scoped: boolean;
  /** Admins only: 403 for anyone else signed in. */
  adminOnly?: boolean;
  /** The caller's own object (a notification), whatever their organizations: another user's is 404. */
  personal?: boolean;
  /** Roles allowed in the caller's own organization (scoped endpoints). */
  allowed?: readonly Actor[];
  success: number;
  prepare(actor: Actor, scope: Scope): Promise<Prepared>;
  /** Lists: what the caller may see. */
  check?(res: Response, actor: Actor, scope: Scope): void;
}

describe('authorization matrix over every endpoint', () => {
  const api = useTestApi({ jobAdmin });
  const world = useFixture(() => twoOrganizations(api));
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });
  /** A member of the home organization who creates the issues the delete rows act on (so nobody else is their creator). */
  const reporter = useFixture(async () => {
    const user = await api.user('reporter');
    await addMember(api, world.owner, world.org, user.id, 'member');
    return user;
  });

  const user = (actor: Actor): TestUser | null =>
    actor === 'anonymous'
      ? null
      : {
          owner: world.owner,
          manager: world.manager,
          member: world.member,
          outsider: world.outsider,
          admin: admin as TestUser,
        }[actor];
  const orgOf = (scope: Scope) => (scope === 'own' ? world.org : world.foreignOrg);
  const ownerOf = (scope: Scope) => (scope === 'own' ? world.owner : world.foreignOwner);
  const projectOf = (scope: Scope) => (scope === 'own' ? world.project : world.foreignProject);
  const issueOf = (scope: Scope) => (scope === 'own' ? world.issue : world.foreignIssue);
  /** A list filtered to the scope's organization: its own rows for a member, nothing for anyone else. */
  const listsOwnOnly = (id: () => string) => (res: Response, actor: Actor, scope: Scope) => {
    if (outside(actor) || scope === 'foreign') expect(res.body.results).toEqual([]);
    else expect(ids(res)).toContain(id());
  };
  /** An unfiltered list: never the foreign organization's rows, the own ones to members only. */
  const listsMine = (own: () => string, foreign: () => string) => (res: Response, actor: Actor) => {
    expect(ids(res)).not.toContain(foreign());
    if (outside(actor)) expect(ids(res)).not.toContain(own());
    else expect(ids(res)).toContain(own());
  };

  const register = async (): Promise<{ id: string; username: string; password: string }> => {
    const username = `u${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const password = 'correct horse battery staple';
    const res = await api.http
      .post('/api/v1/auth/register/')
      .send({ username, email: `${username}@example.com`, password });
    expectStatus(res, 201);
    return { id: res.body.id, username, password };
  };
  /** A new member of the scope's organization, added by its owner. */
  const freshMember = async (scope: Scope): Promise<string> => {
    const { id } = await register();
    await addMember(api, ownerOf(scope), orgOf(scope), id, 'member');
    return id;
  };
  const login = async (): Promise<{ access: string; refresh: string }> => {
    const { username, password } = await register();
    const res = await api.http.post('/api/v1/auth/login/').send({ username, password });
    expectStatus(res, 200);
    return res.body;
  };
  const ids = (res: Response): string[] => (res.body.results as { id: string }[]).map((r) => r.id);
  /** A fresh label of the scope's organization, made by its owner (no issue carries it). */
  const labelIn = async (scope: Scope): Promise<string> => {
    const res = await api.http
      .post(`/api/v1/organizations/${orgOf(scope)}/labels/`)
      .set(ownerOf(scope).auth)
      .send({ name: `Label ${Math.random().toString(36).slice(2)}`, color: '#336699' });
    expectStatus(res, 201);
    return res.body.id as string;
  };
  /** A label on the scope's issue, and that issue's key: what the `?label=`, `?key=` and key rows look for. */
  const tagged = useFixture(async () => {
    const result: Record<Scope, { label: string; key: string }> = {} as never;
    for (const scope of ['own', 'foreign'] as const) {
      const label = await labelIn(scope);
      const res = await api.http
        .patch(`/api/v1/issues/${issueOf(scope)}/`)
        .set(ownerOf(scope).auth)
        .send({ label_ids: [label] });
      expectStatus(res, 200);
      result[scope] = { label, key: res.body.key as string };
    }
    return result;
  });
  /** A fresh comment on the scope's issue, by `by` (default: the reporter at home, the owner abroad). */
  const commentOn = async (scope: Scope, by?: TestUser): Promise<string> => {
    const author = by ?? (scope === 'own' ? reporter : world.foreignOwner);
    const res = await api.http
      .post(`/api/v1/issues/${issueOf(scope)}/comments/`)
      .set(author.auth)
      .send({ body: `Comment ${Math.random().toString(36).slice(2)}` });
    expectStatus(res, 201);
    return res.body.id as string;
  };
  /** The actor's own comment where they may write one (a member at home), else someone else's. */
  const ownComment = (actor: Actor, scope: Scope) => {
    const me = user(actor);
    return commentOn(scope, scope === 'own' && me && !outside(actor) ? me : undefined);
  };
  const commented = useFixture(async () => ({ own: await commentOn('own') }));
  /** A fresh attachment on the scope's issue, uploaded by the reporter (own) or the foreign owner. */
  const attachmentIn = async (scope: Scope): Promise<string> => {
    const res = await api.http
      .post(`/api/v1/issues/${issueOf(scope)}/attachments/`)
      .set((scope === 'own' ? (reporter as TestUser) : world.foreignOwner).auth)
      .attach('file', Buffer.from(`file ${Math.random()}`), { filename: 'a.txt', contentType: 'text/plain' });
    expectStatus(res, 201);
    return res.body.id as string;
  };
  /** Each actor's own notification, and other users' (which no caller may see). */
  const mine = new Map<Actor, string>();
  const others: string[] = [];

  const ENDPOINTS: Endpoint[] = [
    {
      method: 'post',
      route: '/api/v1/auth/register/',
      public: true,
      scoped: false,
      success: 201,
      prepare: async () => {
        const username = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
        return {
          path: '/api/v1/auth/register/',
          body: { username, email: `${username}@example.com`, password: 'correct horse battery staple' },
        };
      },
    },
    ...(['/api/v1/auth/login/', '/api/token/'] as const).map(
      (route): Endpoint => ({
        method: 'post',
        route,
        public: true,
        scoped: false,
        success: 200,
        prepare: async () => {
          const { username, password } = await register();
          return { path: route, body: { username, password } };
        },
      }),
    ),
    ...(['/api/v1/auth/refresh/', '/api/token/refresh/'] as const).map(
      (route): Endpoint => ({
        method: 'post',
        route,
        public: true,
        scoped: false,
        success: 200,
        prepare: async () => ({ path: route, body: { refresh: (await login()).refresh } }),
      }),
    ),
    {
      method: 'post',
      route: '/api/v1/auth/logout/',
      scoped: false,
      success: 204,
      prepare: async () => ({ path: '/api/v1/auth/logout/', body: { refresh: (await login()).refresh } }),
    },
    {
      method: 'get',
      route: '/api/v1/me/',
      scoped: false,
      success: 200,
      prepare: async () => ({ path: '/api/v1/me/' }),
    },
    {
      method: 'patch',
      route: '/api/v1/me/',
      scoped: false,
      success: 200,
      prepare: async () => ({ path: '/api/v1/me/', body: { email_notifications: false } }),
      check: (res) => expect(res.body.email_notifications).toBe(false),
    },
    {
      method: 'get',
      route: '/api/v1/notifications/',
      scoped: false,
      success: 200,
      prepare: async (actor) => {
        const caller = user(actor);
        if (caller) mine.set(actor, await giveNotification(api, caller.id));
        others.push(await giveNotification(api, world.foreignOwner.id));
        return { path: '/api/v1/notifications/' };
      },
      check: (res, actor) => {
        for (const id of others) expect(ids(res)).not.toContain(id);
        expect(ids(res)).toContain(mine.get(actor));
      },
    },
    {
      method: 'post',
      route: '/api/v1/notifications/{id}/read/',
      scoped: false,
      personal: true,
      success: 200,
      prepare: async (actor, scope) => {
        const owner = scope === 'own' ? (user(actor) ?? world.member) : world.foreignOwner;
        return { path: `/api/v1/notifications/${await giveNotification(api, owner.id)}/read/`, body: {} };
      },
      check: (res) => expect(res.body.read_at).toEqual(expect.any(String)),
    },
    {
      method: 'post',
      route: '/api/v1/notifications/read-all/',
      scoped: false,
      success: 204,
      prepare: async () => ({ path: '/api/v1/notifications/read-all/', body: {} }),
    },
    {
      method: 'post',
      route: '/api/v1/organizations/',
      scoped: false,
      success: 201,
      prepare: async () => ({ path: '/api/v1/organizations/', body: { name: 'Another' } }),
    },
    {
      method: 'get',
      route: '/api/v1/organizations/',
      scoped: false,
      success: 200,
      prepare: async () => ({ path: '/api/v1/organizations/' }),
      check: (res, actor) => {
        expect(ids(res)).not.toContain(world.foreignOrg);
        if (outside(actor)) expect(ids(res)).not.toContain(world.org);
        else expect(res.body.results).toContainEqual(expect.objectContaining({ id: world.org, role: actor }));
      },
    },
    {
      method: 'get',
      route: '/api/v1/organizations/{id}/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/organizations/${orgOf(scope)}/` }),
    },
    {
      method: 'patch',
      route: '/api/v1/organizations/{id}/',
      scoped: true,
      allowed: ['owner'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/organizations/${orgOf(scope)}/`,
        body: { name: `Renamed ${Math.random().toString(36).slice(2)}` },
      }),
    },
    {
      method: 'get',
      route: '/api/v1/organizations/{id}/members/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/organizations/${orgOf(scope)}/members/` }),
    },
    {
      method: 'get',
      route: '/api/v1/organizations/{id}/members/',
      variant: '?as_of=',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/organizations/${orgOf(scope)}/members/?as_of=${new Date().toISOString()}`,
      }),
    },
    {
      method: 'get',
      route: '/api/v1/organizations/{id}/',
      variant: '?as_of=',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/organizations/${orgOf(scope)}/?as_of=${new Date().toISOString()}`,
      }),
    },
    {
      method: 'post',
      route: '/api/v1/organizations/{id}/members/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 201,
      prepare: async (_, scope) => ({
        path: `/api/v1/organizations/${orgOf(scope)}/members/`,
        body: { user_id: (await register()).id, role: 'member' },
      }),
    },
    {
      method: 'patch',
      route: '/api/v1/organizations/{id}/members/{user_id}/',
      scoped: true,
      allowed: ['owner'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/organizations/${orgOf(scope)}/members/${await freshMember(scope)}/`,
        body: { role: 'manager' },
      }),
    },
    {
      method: 'delete',
      route: '/api/v1/organizations/{id}/members/{user_id}/',
      scoped: true,
      allowed: ['owner'],
      success: 204,
      prepare: async (_, scope) => ({
        path: `/api/v1/organizations/${orgOf(scope)}/members/${await freshMember(scope)}/`,
      }),
    },
    {
      method: 'get',
      route: '/api/v1/organizations/{id}/audit/',
      scoped: true,
      allowed: ['owner'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/organizations/${orgOf(scope)}/audit/` }),
      check: (res) => {
        const organizations = (res.body.results as { data: { organizationId?: string } }[]).map(
          (event) => event.data.organizationId,
        );
        expect(organizations.length).toBeGreaterThan(0);
        expect(new Set(organizations)).toEqual(new Set([world.org]));
      },
    },
    {
      method: 'get',
      route: '/api/v1/memberships/',
      scoped: false,
      success: 200,
      prepare: async () => ({ path: '/api/v1/memberships/' }),
      check: (res, actor) => {
        const orgs = (res.body.results as { organization: string }[]).map((m) => m.organization);
        expect(orgs).not.toContain(world.foreignOrg);
        if (outside(actor)) expect(orgs).not.toContain(world.org);
        else
          expect(res.body.results).toContainEqual(
            expect.objectContaining({ organization: world.org, role: actor }),
          );
      },
    },
    {
      method: 'post',
      route: '/api/v1/projects/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 201,
      prepare: async (_, scope) => ({
        path: '/api/v1/projects/',
        body: { organization: orgOf(scope), name: 'New project' },
      }),
    },
    {
      method: 'get',
      route: '/api/v1/projects/',
      scoped: false,
      success: 200,
      prepare: async () => ({ path: '/api/v1/projects/' }),
      check: listsMine(
        () => world.project,
        () => world.foreignProject,
      ),
    },
    {
      method: 'get',
      route: '/api/v1/projects/',
      variant: '?organization=',
      scoped: false,
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/projects/?organization=${orgOf(scope)}` }),
      check: listsOwnOnly(() => world.project),
    },
    {
      method: 'get',
      route: '/api/v1/projects/{id}/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/projects/${projectOf(scope)}/`,
      }),
    },
    {
      method: 'patch',
      route: '/api/v1/projects/{id}/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/projects/${projectOf(scope)}/`,
        body: { description: `described ${Math.random().toString(36).slice(2)}` },
      }),
    },
    {
      method: 'delete',
      route: '/api/v1/projects/{id}/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 204,
      prepare: async (_, scope) => ({
        path: `/api/v1/projects/${await createProject(api, ownerOf(scope), orgOf(scope), 'Doomed')}/`,
      }),
    },
    {
      method: 'post',
      route: '/api/v1/issues/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 201,
      prepare: async (_, scope) => ({
        path: '/api/v1/issues/',
        body: { project: projectOf(scope), title: 'Reported' },
      }),
    },
    {
      method: 'get',
      route: '/api/v1/issues/',
      scoped: false,
      success: 200,
      prepare: async () => ({ path: '/api/v1/issues/' }),
      check: listsMine(
        () => world.issue,
        () => world.foreignIssue,
      ),
    },
    ...(['organization', 'project'] as const).map(
      (filter): Endpoint => ({
        method: 'get',
        route: '/api/v1/issues/',
        variant: `?${filter}=`,
        scoped: false,
        success: 200,
        prepare: async (_, scope) => {
          const value = filter === 'organization' ? orgOf(scope) : projectOf(scope);
          return { path: `/api/v1/issues/?${filter}=${value}` };
        },
        check: listsOwnOnly(() => world.issue),
      }),
    ),
    {
      method: 'get',
      route: '/api/v1/issues/{id}/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/issues/${issueOf(scope)}/`,
      }),
    },
    {
      method: 'get',
      route: '/api/v1/issues/{id}/',
      variant: '?as_of=',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/issues/${issueOf(scope)}/?as_of=${new Date().toISOString()}`,
      }),
    },
    {
      method: 'patch',
      route: '/api/v1/issues/{id}/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/issues/${issueOf(scope)}/`,
        body: { description: `seen ${Math.random().toString(36).slice(2)}` },
      }),
    },
    {
      method: 'delete',
      route: '/api/v1/issues/{id}/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 204,
      prepare: async (_, scope) => {
        const issue = await createIssue(
          api,
          scope === 'own' ? reporter : world.foreignOwner,
          projectOf(scope),
        );
        return { path: `/api/v1/issues/${issue.id}/` };
      },
    },
    {
      method: 'post',
      route: '/api/v1/issues/{id}/restore/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 200,
      prepare: async (_, scope) => {
        const by = scope === 'own' ? reporter : world.foreignOwner;
        const issue = await createIssue(api, by, projectOf(scope));
        await api.http.delete(`/api/v1/issues/${issue.id}/`).set(by.auth).expect(204);
        return { path: `/api/v1/issues/${issue.id}/restore/` };
      },
    },
    {
      method: 'get',
      route: '/api/v1/projects/{id}/issues/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/projects/${projectOf(scope)}/issues/` }),
      check: (res) => expect(ids(res)).toContain(world.issue),
    },
    {
      method: 'get',
      route: '/api/v1/projects/{id}/issues/',
      variant: '?as_of=',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/projects/${projectOf(scope)}/issues/?as_of=${new Date().toISOString()}`,
      }),
      check: (res) => expect(ids(res)).toContain(world.issue),
    },
    {
      method: 'get',
      route: '/api/v1/issues/{id}/',
      variant: ' by key',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/issues/${tagged[scope].key.toLowerCase()}/` }),
      check: (res) => expect(res.body.id).toBe(world.issue),
    },
    ...(['label', 'key'] as const).map(
      (filter): Endpoint => ({
        method: 'get',
        route: '/api/v1/issues/',
        variant: `?${filter}=`,
        scoped: false,
        success: 200,
        prepare: async (_, scope) => ({ path: `/api/v1/issues/?${filter}=${tagged[scope][filter]}` }),
        check: listsOwnOnly(() => world.issue),
      }),
    ),
    {
      method: 'post',
      route: '/api/v1/organizations/{id}/labels/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 201,
      prepare: async (_, scope) => ({
        path: `/api/v1/organizations/${orgOf(scope)}/labels/`,
        body: { name: `New ${Math.random().toString(36).slice(2)}`, color: '#abcdef' },
      }),
    },
    {
      method: 'get',
      route: '/api/v1/organizations/{id}/labels/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/organizations/${orgOf(scope)}/labels/?limit=100` }),
      check: (res) => expect(ids(res)).toContain(tagged.own.label),
    },
    {
      method: 'patch',
      route: '/api/v1/labels/{id}/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/labels/${await labelIn(scope)}/`,
        body: { name: `Renamed ${Math.random().toString(36).slice(2)}` },
      }),
    },
    {
      method: 'delete',
      route: '/api/v1/labels/{id}/',
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 204,
      prepare: async (_, scope) => ({ path: `/api/v1/labels/${await labelIn(scope)}/` }),
    },
    {
      method: 'post',
      route: '/api/v1/issues/{id}/comments/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 201,
      prepare: async (_, scope) => ({
        path: `/api/v1/issues/${issueOf(scope)}/comments/`,
        body: { body: 'Seen it' },
      }),
    },
    {
      method: 'get',
      route: '/api/v1/issues/{id}/comments/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/issues/${issueOf(scope)}/comments/?limit=100` }),
      check: (res) => expect(ids(res)).toContain(commented.own),
    },
    {
      method: 'patch',
      route: '/api/v1/comments/{id}/',
      variant: ' (their own)',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (actor, scope) => ({
        path: `/api/v1/comments/${await ownComment(actor, scope)}/`,
        body: { body: `Edited ${Math.random().toString(36).slice(2)}` },
      }),
    },
    {
      method: 'patch',
      route: '/api/v1/comments/{id}/',
      variant: " (another's)",
      scoped: true,
      allowed: [],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/comments/${await commentOn(scope)}/`,
        body: { body: 'Not mine to edit' },
      }),
    },
    {
      method: 'delete',
      route: '/api/v1/comments/{id}/',
      variant: ' (their own)',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 204,
      prepare: async (actor, scope) => ({ path: `/api/v1/comments/${await ownComment(actor, scope)}/` }),
    },
    {
      method: 'delete',
      route: '/api/v1/comments/{id}/',
      variant: " (another's)",
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 204,
      prepare: async (_, scope) => ({ path: `/api/v1/comments/${await commentOn(scope)}/` }),
    },
    ...(['post', 'delete'] as const).map(
      (method): Endpoint => ({
        method,
        route: '/api/v1/issues/{id}/watch/',
        scoped: true,
        allowed: ['owner', 'manager', 'member'],
        success: 204,
        prepare: async (_, scope) => ({
          path: `/api/v1/issues/${issueOf(scope)}/watch/`,
          ...(method === 'post' ? { body: {} } : {}),
        }),
      }),
    ),
    {
      method: 'get',
      route: '/api/v1/issues/{id}/history/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({
        path: `/api/v1/issues/${issueOf(scope)}/history/`,
      }),
    },
    ...(['attachments', 'upload'] as const).map(
      (name): Endpoint => ({
        method: 'post',
        route: `/api/v1/issues/{id}/${name}/`,
        scoped: true,
        allowed: ['owner', 'manager', 'member'],
        success: 201,
        prepare: async (_, scope) => ({
          path: `/api/v1/issues/${issueOf(scope)}/${name}/`,
          file: { content: Buffer.from('matrix'), filename: 'matrix.txt' },
        }),
      }),
    ),
    {
      method: 'get',
      route: '/api/v1/issues/{id}/attachments/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => {
        await attachmentIn(scope);
        return { path: `/api/v1/issues/${issueOf(scope)}/attachments/?limit=100` };
      },
      check: (res) => expect(res.body.results.length).toBeGreaterThan(0),
    },
    {
      method: 'get',
      route: '/api/v1/attachments/{id}/content/',
      scoped: true,
      allowed: ['owner', 'manager', 'member'],
      success: 200,
      prepare: async (_, scope) => ({ path: `/api/v1/attachments/${await attachmentIn(scope)}/content/` }),
    },
    {
      method: 'delete',
      route: '/api/v1/attachments/{id}/',
      // Uploaded by the reporter: an owner or a manager may remove it, another member may not.
      scoped: true,
      allowed: ['owner', 'manager'],
      success: 204,
      prepare: async (_, scope) => ({ path: `/api/v1/attachments/${await attachmentIn(scope)}/` }),
    },
    {
      method: 'get',
      route: '/api/v1/admin/jobs/',
      scoped: false,
      adminOnly: true,
      success: 200,
      prepare: async () => ({ path: '/api/v1/admin/jobs/' }),
      check: (res) =>
        expect((res.body.results as { name: string }[]).map((job) => job.name)).toEqual(['cleanup']),
    },
    {
      method: 'post',
      route: '/api/v1/admin/jobs/{name}/run/',
      scoped: false,
      adminOnly: true,
      success: 202,
      prepare: async () => ({ path: '/api/v1/admin/jobs/cleanup/run/', body: {} }),
    },
    {
      method: 'get',
      route: '/api/v1/admin/events/',
      scoped: false,
      adminOnly: true,
      success: 200,
      prepare: async () => ({ path: '/api/v1/admin/events/?limit=5' }),
      check: (res) => expect(res.body.results).toHaveLength(5),
    },
    {
      method: 'get',
      route: '/api/v1/admin/streams/{stream}/',
      scoped: false,
      adminOnly: true,
      success: 200,
      prepare: async () => ({ path: `/api/v1/admin/streams/organization-${world.foreignOrg}/` }),
      check: (res) =>
        expect(res.body.results[0]).toEqual(
          expect.objectContaining({ type: 'OrganizationCreated', revision: 0 }),
        ),
    },
    {
      method: 'get',
      route: '/api/v1/admin/projections/',
      scoped: false,
      adminOnly: true,
      success: 200,
      prepare: async () => ({ path: '/api/v1/admin/projections/' }),
      check: (res) =>
        expect((res.body.results as { name: string }[]).map((p) => p.name)).toEqual(
          expect.arrayContaining(['users', 'organizations', 'project_rooms', 'reaction:notifications']),
        ),
    },
    {
      method: 'post',
      route: '/api/v1/admin/projections/{name}/rebuild/',
      scoped: false,
      adminOnly: true,
      success: 202,
      // The admin's row starts a rebuild in the background; each row waits for the one before it to end.
      prepare: async () => {
        await api.system.rebuilds.settled('users');
        return { path: '/api/v1/admin/projections/users/rebuild/', body: {} };
      },
    },
  ];

  const expected = (endpoint: Endpoint, actor: Actor, scope: Scope): number => {
    if (endpoint.public) return endpoint.success;
    if (actor === 'anonymous') return 401;
    if (endpoint.personal) return scope === 'own' ? endpoint.success : 404;
    if (endpoint.adminOnly) return actor === 'admin' ? endpoint.success : 403;
    if (!endpoint.scoped) return endpoint.success;
    if (outside(actor) || scope === 'foreign') return 404;
    return endpoint.allowed?.includes(actor) ? endpoint.success : 403;
  };

  const eventCount = async (): Promise<number> =>
    Number((await api.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM events')).rows[0]!.n);

  it('covers every route the API serves', () => {
    const covered = new Set(ENDPOINTS.map((e) => routeKey({ method: e.method, path: e.route })));
    expect([...covered].sort()).toEqual(SERVED_ROUTES.map(routeKey).sort());
  });

  const cases = ENDPOINTS.flatMap((endpoint) =>
    ACTORS.flatMap((actor) =>
      (endpoint.public ? (['own'] as const) : (['own', 'foreign'] as const)).map((scope) => ({
        endpoint,
        actor,
        scope,
        name: `${endpoint.method.toUpperCase()} ${endpoint.route}${endpoint.variant ?? ''} as ${actor}${
          endpoint.scoped
            ? ` in the ${scope} organization`
            : endpoint.personal
              ? ` on ${scope === 'own' ? 'their own' : "another user's"} object`
              : endpoint.variant
                ? ` naming the ${scope} organization's object`
                : ''
        } → ${expected(endpoint, actor, scope)}`,
      })),
    ),
  ).filter(
    ({ endpoint, scope }) =>
      endpoint.scoped || endpoint.personal || scope === 'own' || endpoint.variant !== undefined,
  );

  it.each(cases)('$name', async ({ endpoint, actor, scope }) => {
    const status = expected(endpoint, actor, scope);
    const { path, body, file } = await endpoint.prepare(actor, scope);
    const before = await eventCount();
    const caller = user(actor);
    let request = api.http[endpoint.method](path);
    if (caller && !endpoint.public) request = request.set(caller.auth);
    const res = await (file
      ? request.attach('file', file.content, { filename: file.filename, contentType: 'text/plain' })
      : body === undefined
        ? request
        : request.send(body as object));
    if (status >= 400) {
      expectProblem(res, status);
      if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(await eventCount()).toBe(before);
    } else {
      expectStatus(res, status);
      endpoint.check?.(res, actor, scope);
    }
  });
});
