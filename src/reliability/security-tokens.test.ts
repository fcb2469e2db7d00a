/**
 * Token attacks, on HTTP and on WebSocket upgrades alike (QUALITY.md, "Tokens"): only the configured algorithm is
 * accepted (`alg: none` in any spelling, HS512 with the right secret, RS256 with a made-up key or an embedded JWK,
 * all refused), a token signed with another key, expired, not yet valid, for another issuer or audience, with a
 * tampered payload or header, or cut short is refused; a refresh token is no access token and an access token no
 * refresh token; a reused refresh token revokes its family: the newest refresh token of the login stops working and
 * the login's sockets close with 4001, and its access tokens are refused at the next WebSocket connect. Every
 * refusal is 401 with `WWW-Authenticate: Bearer` (HTTP) or a 4001 close (WebSocket), and changes nothing.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TestUser } from '../../test/support/api';
import { anOrganization } from '../../test/support/fixtures';
import { expectProblem } from '../../test/support/http';
import { connect, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import { CLOSE } from '../realtime/protocol';
import { recordFigures } from '../../test/support/figures';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('token attacks on HTTP and WebSocket upgrades', () => {
  const api = useTestApi();
  const served = useServedRooms(api, { closeTimeoutMs: 500 });
  const home = useFixture(() => anOrganization(api, 'Tokens').withMember('victim').withProject('P').build());
  const tried = { http: 0, websocket: 0 };
  afterAll(() =>
    recordFigures('security-tokens', {
      'forged or misused tokens': forgeries(home.victim).length,
      'HTTP requests with one (all 401)': tried.http,
      'WebSocket upgrades with one (all 4001)': tried.websocket,
    }),
  );

  /** Every forgery of a token for `user` that must be refused, by name. */
  const forgeries = (user: TestUser): [string, string][] => {
    const { key, issuer, audience } = api.system.tokens;
    const secret = key.export().toString('utf8');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, iss: issuer, aud: audience, iat: now, exp: now + 600 };
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const [head, payload, signature] = user.access.split('.') as [string, string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const unsigned = (header: object, body: object = claims) => `${b64(header)}.${b64(body)}.`;
    return [
      ['alg none', jwt.sign(claims, '', { algorithm: 'none' })],
      ['alg None', unsigned({ alg: 'None', typ: 'JWT' })],
      ['alg NONE with the real signature', `${b64({ alg: 'NONE', typ: 'JWT' })}.${payload}.${signature}`],
      ['alg none and no signature part', `${b64({ alg: 'none' })}.${b64(claims)}`],
      ['HS512 with the right secret', jwt.sign(claims, secret, { algorithm: 'HS512', noTimestamp: true })],
      ['HS384 with the right secret', jwt.sign(claims, secret, { algorithm: 'HS384', noTimestamp: true })],
      ['RS256 with a made-up key', jwt.sign(claims, privateKey, { algorithm: 'RS256', noTimestamp: true })],
      [
        'RS256 with its own key embedded as a JWK',
        jwt.sign(claims, privateKey, {
          algorithm: 'RS256',
          noTimestamp: true,
          header: { alg: 'RS256', jwk: publicKey.export({ format: 'jwk' }) } as jwt.JwtHeader,
        }),
      ],
      [
        'HS256 with another secret',
        jwt.sign(claims, 'another-secret-another-secret-another', { noTimestamp: true }),
      ],
      [
        'HS256 with an empty secret',
        `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.${jwtHmac('', claims)}`,
      ],
      ['expired', jwt.sign({ ...claims, exp: now - 5 }, key, { algorithm: 'HS256', noTimestamp: true })],
      [
        'not valid yet',
        jwt.sign({ ...claims, nbf: now + 600 }, key, { algorithm: 'HS256', noTimestamp: true }),
      ],
      [
        'another issuer',
        jwt.sign({ ...claims, iss: 'someone-else' }, key, { algorithm: 'HS256', noTimestamp: true }),
      ],
      [
        'another audience',
        jwt.sign({ ...claims, aud: 'someone-else' }, key, { algorithm: 'HS256', noTimestamp: true }),
      ],
      ['a tampered subject', `${head}.${b64({ ...decoded, sub: home.owner.id })}.${signature}`],
      ['a tampered expiry', `${head}.${b64({ ...decoded, exp: now + 86_400 * 365 })}.${signature}`],
      ['a tampered header', `${b64({ alg: 'HS256', typ: 'JWT', kid: 'x' })}.${payload}.${signature}`],
      [
        'a flipped signature',
        `${head}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`,
      ],
      ['no signature', `${head}.${payload}.`],
      ['cut short', `${head}.${payload}`],
      ['a refresh token', user.refresh],
      ['garbage', 'not.a.token'],
    ];
  };
  /** The HMAC-SHA256 signature of a JWT under `secret` (jsonwebtoken will not sign with an empty one). */
  const jwtHmac = (secret: string, claims: object): string => {
    return createHmac('sha256', secret)
      .update(`${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`)
      .digest('base64url');
  };

  const eventCount = async () =>
    Number((await api.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM events')).rows[0]!.n);

  it('accepts the real token everywhere the forgeries are tried (so the refusals below mean something)', async () => {
    const user = home.victim;
    expect((await api.http.get('/api/v1/me/').set(user.auth)).status).toBe(200);
    const socket = connect(served.wsUrl(`/ws/projects/${home.projects.P}/?token=${user.access}`));
    await socket.opened;
    await socket.close();
  });

  it('refuses every forged, expired or misused token on HTTP with 401 and WWW-Authenticate, changing nothing', async () => {
    const before = await eventCount();
    const refused: string[] = [];
    for (const [name, token] of forgeries(home.victim)) {
      for (const [method, path, body] of [
        ['get', '/api/v1/me/', undefined],
        ['get', `/api/v1/projects/${home.projects.P}/`, undefined],
        ['post', '/api/v1/issues/', { project: home.projects.P, title: `forged: ${name}` }],
      ] as const) {
        let request = api.http[method](path).set('Authorization', `Bearer ${token}`);
        if (body) request = request.send(body);
        const res = await request;
        tried.http += 1;
        if (res.status !== 401)
          refused.push(`${name}: ${method.toUpperCase()} ${path} answered ${res.status}`);
        else {
          expectProblem(res, 401);
          expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        }
      }
    }
    expect(refused).toEqual([]);
    expect(await eventCount()).toBe(before);
  });

  it('refuses every forged, expired or misused token on a WebSocket upgrade with 4001, however it comes', async () => {
    const opened: string[] = [];
    for (const [name, token] of forgeries(home.victim)) {
      for (const [via, socket] of [
        [
          '?token=',
          connect(served.wsUrl(`/ws/projects/${home.projects.P}/?token=${encodeURIComponent(token)}`)),
        ],
        [
          'Authorization',
          connect(served.wsUrl('/ws/notifications/'), { headers: { authorization: `Bearer ${token}` } }),
        ],
        ...(/^[A-Za-z0-9._~-]+$/.test(token)
          ? ([
              [
                'subprotocol',
                connect(served.wsUrl('/ws/notifications/'), { protocols: [`bearer.${token}`] }),
              ],
            ] as const)
          : []),
      ] as const) {
        const closed = await socket.closed;
        tried.websocket += 1;
        if (closed.code !== CLOSE.notAuthenticated) opened.push(`${name} by ${via}: ${closed.code}`);
        expect(socket.messages).toEqual([]);
      }
    }
    expect(opened).toEqual([]);
  });

  it('takes no access token as a refresh token', async () => {
    for (const path of ['/api/v1/auth/refresh/', '/api/token/refresh/']) {
      const res = await api.http.post(path).send({ refresh: home.victim.access });
      expect([400, 401]).toContain(res.status);
    }
    // The victim's own refresh token still works: nothing above touched its family.
    const fresh = await api.user('bystander');
    await api.http.post('/api/v1/auth/refresh/').send({ refresh: fresh.refresh }).expect(200);
  });

  it('revokes the family of a reused refresh token: its newest token, its sockets and its access tokens at connect', async () => {
    const user = await api.user('stolen');
    const rotated = await api.http.post('/api/v1/auth/refresh/').send({ refresh: user.refresh }).expect(200);
    const socket = connect(served.wsUrl(`/ws/notifications/?token=${rotated.body.access}`));
    await socket.opened;
    // The thief presents the spent token: refused, and the whole login is ended.
    const reuse = await api.http.post('/api/v1/auth/refresh/').send({ refresh: user.refresh });
    expectProblem(reuse, 401);
    expect((await socket.closed).code).toBe(CLOSE.notAuthenticated);
    await api.http.post('/api/token/refresh/').send({ refresh: rotated.body.refresh }).expect(401);
    for (const token of [user.access, rotated.body.access as string]) {
      const again = connect(served.wsUrl(`/ws/notifications/?token=${token}`));
      expect((await again.closed).code).toBe(CLOSE.notAuthenticated);
    }
    // Another login of the same user is untouched.
    const other = await api.http
      .post('/api/v1/auth/login/')
      .send({ username: user.username, password: 'correct horse battery staple' })
      .expect(200);
    await api.http.post('/api/v1/auth/refresh/').send({ refresh: other.body.refresh }).expect(200);
  });
});
