import { createHash } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { useTestApi } from '../../../test/support/suite';

describe('auth over HTTP', () => {
  const api = useTestApi({
    rateLimits: { loginPerAccount: 5, loginPerAddress: 1000, registerPerAddress: 1000 },
  });

  const secret = 'test-secret-test-secret-test-secret-000';

  it('registers, logs in with either path, and answers me', async () => {
    const registered = await api.http
      .post('/api/v1/auth/register')
      .send({ username: 'dora', email: 'dora@example.com', password: 'a good long password' })
      .expect(201);
    expect(registered.body).toEqual({ id: expect.any(String), username: 'dora', email: 'dora@example.com' });
    expect(registered.headers['x-position']).toBeDefined();
    const login = await api.http
      .post('/api/token/')
      .send({ username: 'dora', password: 'a good long password' })
      .expect(200);
    expect(login.body).toEqual({
      access: expect.any(String),
      refresh: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
    });
    const me = await api.http
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${login.body.access}`)
      .expect(200);
    expect(me.body).toEqual({
      id: registered.body.id,
      username: 'dora',
      email: 'dora@example.com',
      is_admin: false,
      email_notifications: true,
    });
  });

  it('refuses a taken username or email with 409 and bad input with 400 naming the field', async () => {
    await api.http
      .post('/api/v1/auth/register/')
      .send({ username: 'eve', email: 'eve@example.com', password: 'long enough pw' })
      .expect(201);
    const taken = await api.http
      .post('/api/v1/auth/register/')
      .send({ username: 'EVE', email: 'x@example.com', password: 'long enough pw' });
    expect(taken.status).toBe(409);
    expect(taken.headers['content-type']).toMatch(/application\/problem\+json/);
    const bad = await api.http
      .post('/api/v1/auth/register/')
      .send({ username: 'frank', email: 'frank@example.com', password: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'password' })]);
  });

  it('answers 401 with WWW-Authenticate for a bad password and an unknown user alike', async () => {
    const user = await api.user('gina');
    const wrong = await api.http
      .post('/api/v1/auth/login/')
      .send({ username: user.username, password: 'not the password' });
    const unknown = await api.http
      .post('/api/v1/auth/login/')
      .send({ username: 'nobody-at-all', password: 'not the password' });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(r.body.detail).toBe('invalid username or password');
    }
  });

  it('requires a bearer token, and refuses expired, tampered, alg none and foreign-algorithm tokens', async () => {
    const user = await api.user('hal');
    const missing = await api.http.get('/api/v1/me/');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const claims = { sub: user.id, iss: 'team-tracker', aud: 'team-tracker-api' };
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, secret, {
      algorithm: 'HS256',
    });
    const tampered = `${user.access.slice(0, -3)}${user.access.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`;
    const none = jwt.sign(claims, '', { algorithm: 'none' });
    const hs512 = jwt.sign(claims, secret, { algorithm: 'HS512' });
    const wrongAudience = jwt.sign({ ...claims, aud: 'someone-else' }, secret, { algorithm: 'HS256' });
    const otherSecret = jwt.sign(claims, 'another-secret-another-secret-another', { algorithm: 'HS256' });
    for (const token of [expired, tampered, none, hs512, wrongAudience, otherSecret]) {
      const r = await api.http.get('/api/v1/me/').set('Authorization', `Bearer ${token}`);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('rotates refresh tokens, and a reused one revokes its whole family', async () => {
    const user = await api.user('ivy');
    const first = await api.http.post('/api/v1/auth/refresh/').send({ refresh: user.refresh }).expect(200);
    expect(first.body).toEqual({
      access: expect.any(String),
      refresh: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
    });
    // The spent token is refused, and presenting it revokes the family, including the newest token.
    await api.http.post('/api/v1/auth/refresh/').send({ refresh: user.refresh }).expect(401);
    await api.http.post('/api/token/refresh/').send({ refresh: first.body.refresh }).expect(401);
  });

  it('logs out: the refresh token stops working', async () => {
    const user = await api.user('jack');
    await api.http.post('/api/v1/auth/logout/').send({ refresh: user.refresh }).expect(401); // needs the bearer token
    const other = await api.user('other');
    await api.http.post('/api/v1/auth/logout/').set(other.auth).send({ refresh: user.refresh }).expect(204);
    await api.http.post('/api/v1/auth/refresh/').send({ refresh: user.refresh }).expect(200); // not theirs to end
    const again = await api.http
      .post('/api/v1/auth/login/')
      .send({ username: user.username, password: 'correct horse battery staple' });
    await api.http
      .post('/api/v1/auth/logout/')
      .set(user.auth)
      .send({ refresh: again.body.refresh })
      .expect(204);
    await api.http.post('/api/v1/auth/refresh/').send({ refresh: again.body.refresh }).expect(401);
  });

  it('counts only failed logins toward the rate limit', async () => {
    const user = await api.user('often');
    for (let i = 0; i < 8; i++) {
      await api.http
        .post('/api/v1/auth/login/')
        .send({ username: user.username, password: 'correct horse battery staple' })
        .expect(200);
    }
  });

  it('rate limits failed logins per account with 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (await api.http.post('/api/v1/auth/login/').send({ username: 'target', password: `guess ${i}` }))
          .status,
      );
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  it('never writes a password or token to the event log', async () => {
    const user = await api.user('kim');
    const { rows } = await api.pool.query('SELECT data::text || metadata::text AS text FROM events');
    const log = rows.map((r: { text: string }) => r.text).join('\n');
    expect(log).not.toContain('correct horse battery staple');
    expect(log).not.toContain(user.refresh);
    expect(log).not.toMatch(/scrypt\$/);
  });
  it('keeps no fast hash of a password anywhere: the idempotency fingerprint is keyed, no table holds the password', async () => {
    const password = 'a password nobody else has 9f2c';
    const body = { username: 'ursula', email: 'ursula@example.com', password };
    await api.http
      .post('/api/v1/auth/register/')
      .set('Idempotency-Key', 'register-ursula')
      .send(body)
      .expect(201);
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const canonical = `{"email":"ursula@example.com","password":"${password}","username":"ursula"}`;
    // What the fingerprint used to be: a plain digest anyone can test guesses against.
    const fastHashes = [sha(password), sha(`POST /api/v1/auth/register\n${canonical}`), sha(canonical)];
    const { rows: tables } = await api.pool.query<{ name: string }>(
      "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'",
    );
    let everything = '';
    for (const { name } of tables) {
      const { rows } = await api.pool.query<{ row: string }>(
        `SELECT row_to_json(t)::text AS row FROM ${name} t`,
      );
      everything += rows.map((r) => r.row).join('\n');
    }
    expect(everything).toContain('register-ursula'); // the key is stored, so this looked in the right place
    expect(everything).not.toContain(password);
    for (const hash of fastHashes) expect(everything).not.toContain(hash);
  });
});
