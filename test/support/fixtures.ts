/**
 * The situations the HTTP suites start from, built through the API as a client builds them:
 *
 * ```ts
 * const acme = await anOrganization(api, 'Acme')
 *   .withMember('manager', 'manager')
 *   .withMember('member')
 *   .withProject('Tracker')
 *   .build();
 * acme.owner; acme.manager; acme.id; acme.projects[0];
 * ```
 *
 * and the single steps (`createOrganization`, `addMember`, `createProject`, `createIssue`) for tests that build
 * something of their own. A suite names what it starts from with `useFixture` (suite.ts).
 */
import type { TestApi, TestUser } from './api';
import { expectStatus } from './http';

export type Role = 'owner' | 'manager' | 'member';

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

export interface CreatedIssue {
  id: string;
  etag: string;
  position: string;
  body: Record<string, unknown>;
}

export const createIssue = async (
  api: TestApi,
  by: TestUser,
  projectId: string,
  fields: Record<string, unknown> = {},
): Promise<CreatedIssue> => {
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

/** An organization as built: its id and name, its projects' ids by name, and its people by the names given. */
export type BuiltOrganization<Person extends string = never, Project extends string = never> = {
  id: string;
  name: string;
  projects: Record<Project, string>;
} & Record<Person | 'owner', TestUser>;

/** A person's name, which must not hide a field of the organization. */
type PersonName<Name extends string> = Name extends 'id' | 'name' | 'projects' | 'owner' ? never : Name;

interface Described {
  /** An existing user; a new one called `owner` when not given. */
  owner?: TestUser;
  /** Each a new user, or an existing one when `user` is given. */
  members: readonly { name: string; role: Role; user?: TestUser }[];
  projects: readonly { name: string; description?: string }[];
}

/** An organization being described; `build()` makes it: users registered, members added, projects created. */
export class OrganizationBuilder<Person extends string = never, Project extends string = never> {
  constructor(
    private readonly api: TestApi,
    private readonly name: string,
    private readonly described: Described = { members: [], projects: [] },
  ) {}

  /** Owned by an existing user (by default, a new one). */
  ownedBy(owner: TestUser): OrganizationBuilder<Person, Project> {
    return new OrganizationBuilder(this.api, this.name, { ...this.described, owner });
  }

  /**
   * Someone who joins as `role` (added by the owner, in this order): a new user registered under `name`, or an
   * existing `user` known here by that name.
   */
  withMember<Name extends string>(
    name: PersonName<Name>,
    role: Role = 'member',
    user?: TestUser,
  ): OrganizationBuilder<Person | Name, Project> {
    const members = [...this.described.members, { name, role, user }];
    return new OrganizationBuilder(this.api, this.name, { ...this.described, members });
  }

  /** A project the owner creates (in this order, after the members joined). */
  withProject<Name extends string>(
    name: Name,
    description?: string,
  ): OrganizationBuilder<Person, Project | Name> {
    const projects = [...this.described.projects, { name, description }];
    return new OrganizationBuilder(this.api, this.name, { ...this.described, projects });
  }

  async build(): Promise<BuiltOrganization<Person, Project>> {
    const { api, described } = this;
    const people = new Map(
      await Promise.all(
        [{ name: 'owner', user: described.owner }, ...described.members].map(
          async ({ name, user }) => [name, user ?? (await api.user(name))] as const,
        ),
      ),
    );
    const owner = people.get('owner')!;
    const id = await createOrganization(api, owner, this.name);
    for (const { name, role } of described.members)
      await addMember(api, owner, id, people.get(name)!.id, role);
    const projects = new Map<string, string>();
    for (const project of described.projects)
      projects.set(project.name, await createProject(api, owner, id, project.name, project.description));
    // The builder's type parameters name exactly the people and projects it described.
    return {
      ...Object.fromEntries(people),
      id,
      name: this.name,
      projects: Object.fromEntries(projects),
    } as BuiltOrganization<Person, Project>;
  }
}

/** An organization owned by a new user called `owner`: add members and projects, then `build()`. */
export const anOrganization = (api: TestApi, name = 'Org'): OrganizationBuilder =>
  new OrganizationBuilder(api, name);

/**
 * Two organizations: `org` with an owner, a manager and a member, and `foreignOrg` owned by someone else, each
 * with a project and an issue; `outsider` belongs to neither.
 */
export interface TwoOrganizations {
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

export const twoOrganizations = async (api: TestApi): Promise<TwoOrganizations> => {
  const [home, foreign, outsider] = await Promise.all([
    anOrganization(api, 'Home')
      .withMember('manager', 'manager')
      .withMember('member', 'member')
      .withProject('Home project')
      .build(),
    anOrganization(api, 'Elsewhere').withProject('Foreign project').build(),
    api.user('outsider'),
  ]);
  const [project, foreignProject] = [home.projects['Home project'], foreign.projects['Foreign project']];
  const [issue, foreignIssue] = await Promise.all([
    createIssue(api, home.owner, project, { title: 'Home issue' }),
    createIssue(api, foreign.owner, foreignProject, { title: 'Foreign issue' }),
  ]);
  return {
    owner: home.owner,
    manager: home.manager,
    member: home.member,
    outsider,
    foreignOwner: foreign.owner,
    org: home.id,
    foreignOrg: foreign.id,
    project,
    foreignProject,
    issue: issue.id,
    foreignIssue: foreignIssue.id,
  };
};
