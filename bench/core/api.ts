/** The service's HTTP API, as the bench's setup uses it (users, organizations, projects, issues). */

export interface ApiUser {
  id: string;
  username: string;
  token: string;
  /** `{ Authorization: 'Bearer …' }` */
  auth: Record<string, string>;
}

const PASSWORD = 'correct horse battery staple';

export class Api {
  constructor(readonly base: string) {}

  /** One request; throws with the answer's text on anything but 2xx. */
  async call<T>(method: string, path: string, body?: unknown, user?: ApiUser): Promise<T> {
    return (await this.send<T>(method, path, body, user)).body;
  }

  /**
   * A POST that creates something; its id from the answer, or from its Location when the command was accepted
   * (202) before the read models caught up.
   */
  async create(path: string, body: unknown, user?: ApiUser): Promise<string> {
    const answer = await this.send<{ id?: string }>('POST', path, body, user);
    const id = answer.body?.id ?? /\/([^/]+)\/?$/.exec(answer.location ?? '')?.[1];
    if (!id) throw new Error(`POST ${path}: no id in the answer (${answer.status})`);
    return id;
  }

  private async send<T>(method: string, path: string, body?: unknown, user?: ApiUser) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(user?.auth ?? {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    const parsed = (text === '' ? undefined : JSON.parse(text)) as T;
    return { status: response.status, body: parsed, location: response.headers.get('location') };
  }

  /** Registers and logs in a new user. */
  async user(name: string): Promise<ApiUser> {
    const username = `${name}_${Math.random().toString(36).slice(2, 8)}`;
    const id = await this.create('/api/v1/auth/register/', {
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
    });
    const login = await this.call<{ access: string }>('POST', '/api/v1/auth/login/', {
      username,
      password: PASSWORD,
    });
    const auth = { Authorization: `Bearer ${login.access}` };
    return { id, username, token: login.access, auth };
  }

  async organization(owner: ApiUser, name: string): Promise<string> {
    return this.create('/api/v1/organizations/', { name }, owner);
  }

  async project(owner: ApiUser, organization: string, name: string): Promise<string> {
    return this.create('/api/v1/projects/', { organization, name }, owner);
  }

  async addMember(owner: ApiUser, organization: string, userId: string, role = 'member'): Promise<void> {
    await this.call(
      'POST',
      `/api/v1/organizations/${organization}/members/`,
      { user_id: userId, role },
      owner,
    );
  }

  async removeMember(owner: ApiUser, organization: string, userId: string): Promise<void> {
    await this.call('DELETE', `/api/v1/organizations/${organization}/members/${userId}/`, undefined, owner);
  }

  async issue(user: ApiUser, project: string, title: string, extra: object = {}): Promise<string> {
    return this.create('/api/v1/issues/', { project, title, priority: 'high', ...extra }, user);
  }

  async patchIssue(user: ApiUser, issue: string, changes: object): Promise<void> {
    await this.call('PATCH', `/api/v1/issues/${issue}/`, changes, user);
  }
}
