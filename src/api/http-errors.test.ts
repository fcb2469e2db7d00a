/**
 * Refusals at the HTTP level, before any command runs: malformed JSON (400), oversized bodies (413), bodies that are
 * not JSON (415), unknown routes (404), malformed ids and paging parameters (400 naming them). Every one is
 * problem+json.
 */
import { anOrganization, createOrganization } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { SERVED_ROUTES } from '../../test/support/routes';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('HTTP-level refusals', () => {
  const api = useTestApi();
  /** Acme: its owner and a project. */
  const acme = useFixture(() => anOrganization(api, 'Acme').withProject('Project').build());

  const UUID = '0190a5b8-0000-7000-8000-000000000000';
  const concrete = (path: string) => path.replace(/\{id\}/g, UUID).replace(/\{user_id\}/g, UUID);
  const bodyRoutes = SERVED_ROUTES.filter((r) => r.method === 'post' || r.method === 'patch');

  describe('bodies', () => {
    it.each(bodyRoutes.map((r) => [r.method.toUpperCase(), r.path, r.method] as const))(
      'refuses malformed JSON on %s %s with 400 naming body',
      async (_, path, method) => {
        const res = await api.http[method](concrete(path))
          .set(acme.owner.auth)
          .set('Content-Type', 'application/json')
          .send('{"name": "unclosed');
        expectProblem(res, 400, ['body']);
      },
    );

    it.each(['{', '[1,', 'nul', '{"a":1}}', "{'single': 'quotes'}", '\u0000'])(
      'refuses the body %j with 400',
      async (body) => {
        const res = await api.http
          .post('/api/v1/organizations/')
          .set(acme.owner.auth)
          .set('Content-Type', 'application/json')
          .send(body);
        expectProblem(res, 400);
      },
    );

    it.each(bodyRoutes.map((r) => [r.method.toUpperCase(), r.path, r.method] as const))(
      'refuses a body over 1 MiB on %s %s with 413',
      async (_, path, method) => {
        const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
        const res = await api.http[method](concrete(path))
          .set(acme.owner.auth)
          .set('Content-Type', 'application/json')
          .send(big);
        expectProblem(res, 413);
      },
    );

    it('accepts a body just under 1 MiB as far as the parser goes (the field limits answer)', async () => {
      const body = JSON.stringify({
        project: acme.projects.Project,
        title: 'x',
        description: 'd'.repeat(1024 * 1024 - 200),
      });
      const res = await api.http
        .post('/api/v1/issues/')
        .set(acme.owner.auth)
        .set('Content-Type', 'application/json')
        .send(body);
      expectProblem(res, 400, ['description']);
    });

    it.each([
      ['text/plain', 'name=Acme'],
      ['application/x-www-form-urlencoded', 'name=Acme'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nAcme\r\n--x--',
      ],
      ['application/xml', '<name>Acme</name>'],
    ])('refuses a %s body with 415', async (type, body) => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('Content-Type', type)
        .send(body);
      expectProblem(res, 415);
    });

    it('refuses a body without a content type with 415', async () => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('Content-Length', '2')
        .send(Buffer.from('{}'));
      expect([400, 415]).toContain(res.status);
      expectProblem(res, res.status);
    });

    it('accepts application/json with a charset and application/*+json', async () => {
      expectStatus(
        await api.http
          .post('/api/v1/organizations/')
          .set(acme.owner.auth)
          .set('Content-Type', 'application/json; charset=utf-8')
          .send(JSON.stringify({ name: 'Charset' })),
        201,
      );
      expectStatus(
        await api.http
          .post('/api/v1/organizations/')
          .set(acme.owner.auth)
          .set('Content-Type', 'application/merge-patch+json')
          .send(JSON.stringify({ name: 'Plus' })),
        201,
      );
    });

    it('refuses an unsupported charset with 415', async () => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('Content-Type', 'application/json; charset=klingon')
        .send(JSON.stringify({ name: 'x' }));
      expectProblem(res, 415);
    });

    it.each([
      ['an array', [1, 2]],
      ['a string', 'Acme'],
      ['a number', 42],
      ['null', null],
    ])('refuses %s where an object is expected with 400', async (_, body) => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
      expectProblem(res, 400);
    });

    it.each([
      ['a NUL character', 'a\u0000b'],
      ['an unpaired high surrogate', 'x\ud800'],
      ['an unpaired low surrogate', '\udfffy'],
    ])('refuses text with %s in every text field with 400 naming the field, never a 500', async (_, bad) => {
      const issue = (
        await api.http
          .post('/api/v1/issues/')
          .set(acme.owner.auth)
          .send({ project: acme.projects.Project, title: 'Target' })
      ).body.id as string;
      const cases: [string, 'post' | 'patch', string, Record<string, unknown>][] = [
        [
          'username',
          'post',
          '/api/v1/auth/register/',
          { username: bad, email: 'n@example.com', password: 'long enough password' },
        ],
        [
          'email',
          'post',
          '/api/v1/auth/register/',
          { username: 'nul-user', email: bad, password: 'long enough password' },
        ],
        ['password', 'post', '/api/v1/auth/login/', { username: 'someone', password: bad }],
        ['refresh', 'post', '/api/v1/auth/refresh/', { refresh: bad }],
        ['name', 'post', '/api/v1/organizations/', { name: bad }],
        ['name', 'patch', `/api/v1/organizations/${acme.id}/`, { name: bad }],
        ['username', 'post', `/api/v1/organizations/${acme.id}/members/`, { username: bad }],
        ['name', 'post', '/api/v1/projects/', { organization: acme.id, name: bad }],
        ['description', 'patch', `/api/v1/projects/${acme.projects.Project}/`, { description: bad }],
        ['title', 'post', '/api/v1/issues/', { project: acme.projects.Project, title: bad }],
        [
          'description',
          'post',
          '/api/v1/issues/',
          { project: acme.projects.Project, title: 'ok', description: bad },
        ],
        ['title', 'patch', `/api/v1/issues/${issue}/`, { title: bad }],
        ['description', 'patch', `/api/v1/issues/${issue}/`, { description: bad }],
      ];
      for (const [field, method, path, body] of cases) {
        const res = await api.http[method](path)
          .set(acme.owner.auth)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body));
        expectProblem(res, 400, [field]);
      }
    });

    it('accepts astral characters written as surrogate pairs', async () => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('Content-Type', 'application/json')
        .send('{"name":"Rocket \\ud83d\\ude80"}');
      expectStatus(res, 201);
      expect(res.body.name).toBe('Rocket 🚀');
    });

    it('refuses a POST without a body with 400 naming each required field as required', async () => {
      const res = await api.http.post('/api/v1/issues/').set(acme.owner.auth);
      expectProblem(res, 400, ['project', 'title']);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([
          { path: 'project', message: 'required' },
          { path: 'title', message: 'required' },
        ]),
      );
      const logout = await api.http.post('/api/v1/auth/logout/').set(acme.owner.auth);
      expectProblem(logout, 400, ['refresh']);
      expect(logout.body.errors).toEqual([{ path: 'refresh', message: 'required' }]);
    });
  });

  describe('routes', () => {
    it.each([
      ['GET', '/api/v1/nothing-here/'],
      ['GET', '/api/v2/issues/'],
      ['GET', '/api/v1/issues/x/y/z/'],
      ['GET', '/'],
    ])('answers %s %s with a 404 problem', async (method, path) => {
      const res = await api.http[method.toLowerCase() as 'get' | 'put' | 'delete' | 'post'](path).set(
        acme.owner.auth,
      );
      expectProblem(res, 404);
    });

    it.each([
      ['PUT', '/api/v1/issues/', 'GET, HEAD, POST'],
      ['DELETE', '/api/v1/organizations/', 'GET, HEAD, POST'],
      ['POST', `/api/v1/issues/${UUID}/history/`, 'GET, HEAD'],
      ['PUT', `/api/v1/issues/${UUID}`, 'DELETE, GET, HEAD, PATCH'],
    ])('answers %s %s, a path with other methods, with 405 and Allow: %s', async (method, path, allow) => {
      const res = await api.http[method.toLowerCase() as 'put' | 'delete' | 'post'](path).set(
        acme.owner.auth,
      );
      expectProblem(res, 405);
      expect(res.headers.allow).toBe(allow);
    });

    it('answers an unknown route without a token with 404, not 401', async () => {
      expectProblem(await api.http.get('/api/v1/unknown/'), 404);
    });

    it.each(
      SERVED_ROUTES.filter((r) => r.path.includes('{id}')).map(
        (r) => [r.method.toUpperCase(), r.path, r.method] as const,
      ),
    )('refuses a malformed id in %s %s with 400 naming id', async (_, path, method) => {
      const res = await api.http[method](path.replace('{id}', 'not-a-uuid').replace('{user_id}', UUID))
        .set(acme.owner.auth)
        .send({});
      expectProblem(res, 400, ['id']);
    });

    it.each(['patch', 'delete'] as const)(
      'refuses a malformed user_id in %s members/{user_id} with 400 naming user_id',
      async (method) => {
        const res = await api.http[method](`/api/v1/organizations/${acme.id}/members/123/`)
          .set(acme.owner.auth)
          .send({ role: 'member' });
        expectProblem(res, 400, ['user_id']);
      },
    );

    it.each(['%E0%A4%A', '%', '%00', '..', '%2e%2e'])(
      'answers the id %s with a 4xx problem, never a 5xx',
      async (id) => {
        const res = await api.http.get(`/api/v1/issues/${id}/`).set(acme.owner.auth);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expectProblem(res, res.status);
      },
    );

    it('answers every served path with and without the trailing slash alike', async () => {
      for (const path of [
        '/api/v1/me',
        '/api/v1/organizations',
        `/api/v1/organizations/${acme.id}`,
        `/api/v1/organizations/${acme.id}/members`,
        '/api/v1/memberships',
        '/api/v1/projects',
        `/api/v1/projects/${acme.projects.Project}`,
        '/api/v1/issues',
      ]) {
        const [bare, slashed] = await Promise.all([
          api.http.get(path).set(acme.owner.auth),
          api.http.get(`${path}/`).set(acme.owner.auth),
        ]);
        expectStatus(bare, 200);
        expectStatus(slashed, 200);
        expect(bare.body).toEqual(slashed.body);
      }
    });
  });

  describe('paging parameters', () => {
    const lists = () => [
      '/api/v1/organizations/',
      `/api/v1/organizations/${acme.id}/members/`,
      '/api/v1/memberships/',
      '/api/v1/projects/',
      '/api/v1/issues/',
    ];

    it.each(['0', '101', 'abc', '-1', '1.5', '', '1e1000', '50&limit=60'])(
      'refuses limit=%s with 400 naming limit on every list',
      async (limit) => {
        for (const path of lists())
          expectProblem(await api.http.get(`${path}?limit=${limit}`).set(acme.owner.auth), 400, ['limit']);
      },
    );

    it('accepts limit=1 and limit=100', async () => {
      for (const path of lists()) {
        expectStatus(await api.http.get(`${path}?limit=1`).set(acme.owner.auth), 200);
        expectStatus(await api.http.get(`${path}?limit=100`).set(acme.owner.auth), 200);
      }
    });

    it.each([
      'garbage',
      'bm90IGpzb24',
      Buffer.from('["organizations"]').toString('base64url'),
      Buffer.from('["issues", 1, 2]').toString('base64url'),
      Buffer.from(JSON.stringify(['-created_at', 'not a time', UUID])).toString('base64url'),
      'a'.repeat(3000),
      '%00',
    ])('refuses the cursor %s with 400 naming cursor on every list', async (cursor) => {
      for (const path of lists())
        expectProblem(await api.http.get(`${path}?cursor=${cursor}`).set(acme.owner.auth), 400, ['cursor']);
    });

    it('refuses a cursor of one list on another with 400', async () => {
      await createOrganization(api, acme.owner, 'Second');
      const orgs = await api.http.get('/api/v1/organizations/?limit=1').set(acme.owner.auth);
      const cursor = new URL(orgs.body.next).searchParams.get('cursor');
      expectProblem(await api.http.get(`/api/v1/memberships/?cursor=${cursor}`).set(acme.owner.auth), 400, [
        'cursor',
      ]);
      expectProblem(await api.http.get(`/api/v1/projects/?cursor=${cursor}`).set(acme.owner.auth), 400, [
        'cursor',
      ]);
    });
  });

  describe('request ids', () => {
    it("echoes a sane X-Request-Id and stores it as the events' correlation id", async () => {
      const res = await api.http
        .post('/api/v1/organizations/')
        .set(acme.owner.auth)
        .set('X-Request-Id', 'trace-123.abc')
        .send({ name: 'Traced' });
      expectStatus(res, 201);
      expect(res.headers['x-request-id']).toBe('trace-123.abc');
      const { rows } = await api.pool.query(
        `SELECT metadata->>'correlationId' AS c FROM events WHERE type = 'OrganizationCreated' AND data->>'name' = 'Traced'`,
      );
      expect(rows).toEqual([{ c: 'trace-123.abc' }]);
    });

    it('replaces an unusable X-Request-Id with a generated one, and makes one when none is given', async () => {
      const bad = await api.http
        .get('/api/v1/me/')
        .set(acme.owner.auth)
        .set('X-Request-Id', 'has spaces and {braces}');
      expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const none = await api.http.get('/api/v1/me/').set(acme.owner.auth);
      expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(none.headers['x-request-id']).not.toBe(bad.headers['x-request-id']);
    });
  });

  describe('auth errors', () => {
    it.each(['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', 'token'])(
      'refuses Authorization: %j with 401 and WWW-Authenticate',
      async (header) => {
        const res = await api.http.get('/api/v1/issues/').set('Authorization', header);
        expectProblem(res, 401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      },
    );

    it('refuses a validly signed token whose subject is not a user id with 401 everywhere', async () => {
      const token = api.system.tokens.sign('not-a-uuid');
      const before = (await api.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n;
      for (const request of [
        api.http.get('/api/v1/me/'),
        api.http.get('/api/v1/issues/'),
        api.http.post('/api/v1/organizations/').send({ name: 'Ghost' }),
      ]) {
        const res = await request.set('Authorization', `Bearer ${token}`);
        expectProblem(res, 401);
      }
      expect((await api.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(before);
    });
  });
});
