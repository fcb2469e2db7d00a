/** The rest of API.md's auth table: taken emails, bad bodies, the aliases, both path forms, and logout's answers. */
import { expectProblem, expectStatus } from '../../../test/support/http';
import { useTestApi } from '../../../test/support/suite';

describe('auth endpoints: the remaining refusals and aliases', () => {
  const api = useTestApi();

  const password = 'a perfectly long password';

  it('refuses a taken email with 409', async () => {
    expectStatus(
      await api.http
        .post('/api/v1/auth/register/')
        .send({ username: 'mail1', email: 'same@example.com', password }),
      201,
    );
    const again = await api.http
      .post('/api/v1/auth/register')
      .send({ username: 'mail2', email: 'same@example.com', password });
    expectProblem(again, 409);
  });

  it.each([
    ['no username', { email: 'a@example.com', password }, ['username']],
    ['an empty username', { username: '', email: 'a@example.com', password }, ['username']],
    ['no email', { username: 'a', password }, ['email']],
    ['no password', { username: 'a', email: 'a@example.com' }, ['password']],
    [
      'wrong types everywhere',
      { username: 1, email: false, password: [] },
      ['username', 'email', 'password'],
    ],
  ])('refuses registering with %s with 400 naming the fields', async (_, body, fields) => {
    expectProblem(await api.http.post('/api/v1/auth/register/').send(body), 400, fields);
  });

  it.each([
    ['/api/v1/auth/login/', { username: 'x' }, ['password']],
    ['/api/token/', { password: 'x' }, ['username']],
    ['/api/v1/auth/refresh/', {}, ['refresh']],
    ['/api/token/refresh/', { refresh: 5 }, ['refresh']],
    ['/api/v1/auth/logout/', {}, ['refresh']],
  ])('refuses a bad body on %s with 400 naming the fields', async (path, body, fields) => {
    const caller = await api.user('badbody');
    expectProblem(await api.http.post(path).set(caller.auth).send(body), 400, fields);
  });

  it('logs in and refreshes on every path, with and without the trailing slash', async () => {
    const user = await api.user('paths');
    for (const login of ['/api/v1/auth/login/', '/api/v1/auth/login', '/api/token/', '/api/token']) {
      const res = await api.http
        .post(login)
        .send({ username: user.username, password: 'correct horse battery staple' });
      expectStatus(res, 200);
      expect(res.body).toEqual({
        access: expect.any(String),
        refresh: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
      });
      let refresh = res.body.refresh as string;
      for (const path of [
        '/api/v1/auth/refresh/',
        '/api/v1/auth/refresh',
        '/api/token/refresh/',
        '/api/token/refresh',
      ]) {
        const rotated = await api.http.post(path).send({ refresh });
        expectStatus(rotated, 200);
        expect(rotated.body).toEqual({
          access: expect.any(String),
          refresh: expect.any(String),
          token_type: 'Bearer',
          expires_in: 900,
        });
        expectStatus(
          await api.http.get('/api/v1/me').set('Authorization', `Bearer ${rotated.body.access}`),
          200,
        );
        refresh = rotated.body.refresh;
      }
    }
  });

  it('refuses an unknown refresh token with 401 and WWW-Authenticate', async () => {
    const res = await api.http.post('/api/v1/auth/refresh/').send({ refresh: 'never-issued' });
    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers logout with 204, without the trailing slash and for a token that is already gone', async () => {
    const user = await api.user('leaving');
    expectStatus(
      await api.http.post('/api/v1/auth/logout').set(user.auth).send({ refresh: user.refresh }),
      204,
    );
    expectStatus(
      await api.http.post('/api/v1/auth/logout/').set(user.auth).send({ refresh: user.refresh }),
      204,
    );
    expectStatus(
      await api.http.post('/api/v1/auth/logout/').set(user.auth).send({ refresh: 'never-issued' }),
      204,
    );
    expectStatus(await api.http.post('/api/v1/auth/logout/').send({ refresh: user.refresh }), 401);
  });

  it('answers me with 401 and WWW-Authenticate: Bearer when no token is given', async () => {
    for (const path of ['/api/v1/me/', '/api/v1/me']) {
      const res = await api.http.get(path);
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });
});
