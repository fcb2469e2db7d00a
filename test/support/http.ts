/** Assertions and fixtures shared by the HTTP suites: problem+json answers, and organizations with every role. */
import type { Response } from 'supertest';
import type { TestApi, TestUser } from './api';

export type Role = 'owner' | 'manager' | 'member';

/**
 * The answer is `application/problem+json` with `{ type, title, status, detail }`, and, when `fields` are named,
 * an `errors` list that names each of them.
 */
export const expectProblem = (res: Response, status: number, fields: readonly string[] = []): void => {
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
  const allowed = new Set(['type', 'title', 'status', 'detail', 'errors']);
  expect(Object.keys(res.body).filter((k) => !allowed.has(k))).toEqual([]);
  if (fields.length > 0) {
    expect(Array.isArray(res.body.errors)).toBe(true);
    for (const error of res.body.errors as unknown[]) {
      expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    for (const field of fields) expect(paths).toContain(field);
  }
};

/** The status, or a readable failure naming what came back. */
export const expectStatus = (res: Response, status: number): void => {
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
};

export const createOrganization = async (api: TestApi, by: TestUser, name = 'Org'): Promise<string> => {
  const res = await api.http.post('/api/v1/organizations/').set(by.auth).send({ name });
  expectStatus(res, 201);
  return res.body.id as string;
};

export const addMember = async (
  api: TestApi,
  by: TestUser,
  organizationId: string,
  userId: string,
  role: Role = 'member',
): Promise<void> => {
  const res = await api.http
    .post(`/api/v1/organizations/${organizationId}/members/`)
    .set(by.auth)
    .send({ user_id: userId, role });
  expectStatus(res, 201);
};

export const createProject = async (
  api: TestApi,
  by: TestUser,
  organizationId: string,
  name = 'Project',
  description?: string,
): Promise<string> => {
  const res = await api.http
    .post('/api/v1/projects/')
    .set(by.auth)
    .send({ organization: organizationId, name, ...(description === undefined ? {} : { description }) });
  expectStatus(res, 201);
  return res.body.id as string;
};

export const createIssue = async (
  api: TestApi,
  by: TestUser,
  projectId: string,
  fields: Record<string, unknown> = {},
): Promise<{ id: string; etag: string; position: string; body: Record<string, unknown> }> => {
  const res = await api.http
    .post('/api/v1/issues/')
    .set(by.auth)
    .send({ project: projectId, title: 'An issue', ...fields });
  expectStatus(res, 201);
  return {
    id: res.body.id,
    etag: res.headers.etag as string,
    position: res.headers['x-position'] as string,
    body: res.body,
  };
};

/**
 * Two organizations: `org` with an owner, a manager and a member, and `foreignOrg` owned by someone else, each
 * with a project and an issue; `outsider` belongs to neither.
 */
export interface World {
  owner: TestUser;
  manager: TestUser;
  member: TestUser;
  outsider: TestUser;
  foreignOwner: TestUser;
  org: string;
  foreignOrg: string;
  project: string;
  foreignProject: string;
  issue: string;
  foreignIssue: string;
}

export const buildWorld = async (api: TestApi): Promise<World> => {
  const [owner, manager, member, outsider, foreignOwner] = await Promise.all([
    api.user('owner'),
    api.user('manager'),
    api.user('member'),
    api.user('outsider'),
    api.user('foreign'),
  ]);
  const [org, foreignOrg] = await Promise.all([
    createOrganization(api, owner, 'Home'),
    createOrganization(api, foreignOwner, 'Elsewhere'),
  ]);
  await addMember(api, owner, org, manager.id, 'manager');
  await addMember(api, owner, org, member.id, 'member');
  const [project, foreignProject] = await Promise.all([
    createProject(api, owner, org, 'Home project'),
    createProject(api, foreignOwner, foreignOrg, 'Foreign project'),
  ]);
  const [issue, foreignIssue] = await Promise.all([
    createIssue(api, owner, project, { title: 'Home issue' }),
    createIssue(api, foreignOwner, foreignProject, { title: 'Foreign issue' }),
  ]);
  return {
    owner,
    manager,
    member,
    outsider,
    foreignOwner,
    org,
    foreignOrg,
    project,
    foreignProject,
    issue: issue.id,
    foreignIssue: foreignIssue.id,
  };
};

/** A `next` URL as supertest can request it: absolute in the answer, path and query for the in-process app. */
export const relative = (next: string): string => {
  expect(next).toMatch(/^https?:\/\/[^/]+\//);
  const url = new URL(next);
  return `${url.pathname}${url.search}`;
};

/** Follows `next` from the first page to the end; every page must answer 200 with `{ results, next }`. */
export const allPages = async <T = Record<string, unknown>>(
  api: TestApi,
  by: TestUser,
  path: string,
): Promise<{ results: T[]; pages: number }> => {
  const results: T[] = [];
  let pages = 0;
  for (let next: string | null = path; next !== null; ) {
    const res: Response = await api.http.get(next).set(by.auth);
    expectStatus(res, 200);
    expect(Object.keys(res.body).sort()).toEqual(['next', 'results']);
    results.push(...(res.body.results as T[]));
    pages += 1;
    next = res.body.next === null ? null : relative(res.body.next as string);
    if (pages > 1000) throw new Error('the pages never end');
  }
  return { results, pages };
};
