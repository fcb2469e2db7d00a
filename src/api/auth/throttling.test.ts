/**
 * Login and registration throttling: per account across addresses, per address across accounts, registrations
 * per address; counted in a store every API process shares (PostgreSQL here, Redis when configured); a
 * malformed body is a 400 before any limiter counts it; `X-Forwarded-For` is believed only from trusted proxies.
 */
import { Redis } from 'ioredis';
import request from 'supertest';
import pino from 'pino';
import { createInProcessBus } from '../../realtime/bus/in-process-bus';
import { buildSystem } from '../../system';
import { type RateLimitStores, redisRateLimitStores } from '../rate-limits';
import { createTestApi } from '../../../test/support/api';
import { expectProblem } from '../../../test/support/http';
import { itWithRedis, redisUrl } from '../../../test/support/redis';
import { useTestApi } from '../../../test/support/suite';

const REDIS_URL = redisUrl();
const PASSWORD = 'correct horse battery staple';

const limits = { loginPerAccount: 3, loginPerAddress: 5, registerPerAddress: 1000 };

describe('login and registration throttling', () => {
  const api = useTestApi({ rateLimits: limits, trustProxy: 'loopback' });

  const login = (username: string, password: string, from: string) =>
    api.http.post('/api/v1/auth/login/').set('X-Forwarded-For', from).send({ username, password });

  it('limits failed logins per account across addresses, and refuses even the right password then', async () => {
    const user = await api.user('sprayed');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await login(user.username, 'wrong', `203.0.113.${i + 1}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const blocked = await login(user.username, PASSWORD, '198.51.100.7');
    expectProblem(blocked, 429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Another account from the same addresses is untouched.
    const other = await api.user('untouched');
    expect((await login(other.username, PASSWORD, '203.0.113.1')).status).toBe(200);
  });

  it('limits failed logins per address across accounts (password spraying from one address)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await login(`nobody-${i}`, 'guess', '192.0.2.50')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // A real user from that address is refused too until the window passes; from elsewhere, fine.
    const user = await api.user('neighbour');
    expectProblem(await login(user.username, PASSWORD, '192.0.2.50'), 429);
    expect((await login(user.username, PASSWORD, '192.0.2.51')).status).toBe(200);
  });

  it('counts only failures: logging in often with the right password is never limited', async () => {
    const user = await api.user('regular');
    for (let i = 0; i < 8; i++)
      expect((await login(user.username, PASSWORD, '198.51.100.20')).status).toBe(200);
  });

  it('limits registrations per address per hour', async () => {
    const strict = await createTestApi({
      rateLimits: { ...limits, registerPerAddress: 4 },
      trustProxy: 'loopback',
    });
    try {
      const register = (i: number, from: string) =>
        strict.http
          .post('/api/v1/auth/register/')
          .set('X-Forwarded-For', from)
          .send({ username: `farm${i}`, email: `farm${i}@example.com`, password: PASSWORD });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await register(i, '198.51.100.99')).status);
      expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
      expect((await register(10, '198.51.100.98')).status).toBe(201);
    } finally {
      await strict.teardown();
    }
  });

  it('answers a malformed body with 400 before any limiter or lookup, and does not count it', async () => {
    for (const body of [{ username: { toString: 1 }, password: 'x' }, { username: ['a'], password: 1 }, {}]) {
      for (let i = 0; i < 8; i++) {
        const res = await api.http
          .post('/api/v1/auth/login/')
          .set('X-Forwarded-For', '192.0.2.77')
          .send(body);
        expectProblem(res, 400, ['username']);
      }
    }
    const res = await api.http
      .post('/api/v1/auth/register/')
      .set('X-Forwarded-For', '192.0.2.77')
      .send({ username: { toString: 1 }, email: 'x@example.com', password: PASSWORD });
    expectProblem(res, 400, ['username']);
    const user = await api.user('afterwards');
    expect((await login(user.username, PASSWORD, '192.0.2.77')).status).toBe(200);
  });

  /** A second API on the same database, as another process would be: its own app, the same store. */
  const secondApi = (stores?: RateLimitStores) =>
    request(
      buildSystem({
        knex: api.knex,
        pool: api.pool,
        logger: pino({ level: 'silent' }),
        jwtSecret: 'test-secret-test-secret-test-secret-000',
        publisher: createInProcessBus(),
        passwordHashCost: 10,
        rateLimits: limits,
        trustProxy: 'loopback',
        ...(stores ? { rateLimitStores: stores } : {}),
      }).app,
    );

  it('shares its counts between API processes (PostgreSQL)', async () => {
    const user = await api.user('shared');
    const other = secondApi();
    const attempt = (agent: typeof api.http, i: number) =>
      agent
        .post('/api/v1/auth/login/')
        .set('X-Forwarded-For', `198.51.100.${120 + i}`)
        .send({ username: user.username, password: 'wrong' });
    const statuses = [
      (await attempt(api.http, 0)).status,
      (await attempt(other, 1)).status,
      (await attempt(api.http, 2)).status,
      (await attempt(other, 3)).status,
    ];
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  itWithRedis('shares its counts between API processes through Redis when it is configured', async () => {
    const user = await api.user('redis-shared');
    const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const [one, two] = clients.map((redis) => secondApi(redisRateLimitStores(redis)));
    try {
      const attempt = (agent: typeof api.http, i: number) =>
        agent
          .post('/api/v1/auth/login/')
          .set('X-Forwarded-For', `198.51.100.${140 + i}`)
          .send({ username: user.username, password: 'wrong' });
      const statuses = [
        (await attempt(one!, 0)).status,
        (await attempt(two!, 1)).status,
        (await attempt(one!, 2)).status,
        (await attempt(two!, 3)).status,
      ];
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect(await clients[0]!.exists(`tt:rl:login-account:${user.username.toLowerCase()}`)).toBe(1);
    } finally {
      const keys = [
        `tt:rl:login-account:${user.username.toLowerCase()}`,
        ...[0, 1, 2, 3].map((i) => `tt:rl:login-address:198.51.100.${140 + i}`),
      ];
      await clients[0]!.del(...keys);
      await Promise.all(clients.map((c) => c.quit()));
    }
  });

  it('ignores X-Forwarded-For unless the proxy is trusted (the default trusts none)', async () => {
    const plain = await createTestApi({ rateLimits: limits });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await plain.http
          .post('/api/v1/auth/login/')
          .set('X-Forwarded-For', `203.0.113.${100 + i}`)
          .send({ username: `spoofer-${i}`, password: 'guess' });
        statuses.push(res.status);
      }
      // A new forged address each time changes nothing: they all count against the real one.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    } finally {
      await plain.teardown();
    }
  });
});
