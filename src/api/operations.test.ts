import { createMetrics } from '../platform/metrics';
import { createReadiness } from '../platform/readiness';
import { createTestApi } from '../../test/support/api';
import { useTestApi } from '../../test/support/suite';

describe('operations endpoints', () => {
  let down = false;
  const metrics = createMetrics({ collectDefault: false });
  const api = useTestApi({
    operations: {
      readiness: () =>
        createReadiness({
          postgres: async () => undefined,
          redis: async () => {
            if (down) throw new Error('connect ECONNREFUSED 10.9.8.7:6379 (redis://admin:hunter2@cache)');
          },
        }).check(),
      metrics,
      observe: metrics.observeHttp,
    },
    observeCommand: (type, outcome) => metrics.commands.inc({ type, outcome }),
  });

  it('answers /healthz while the process is up', async () => {
    expect((await api.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming the dependency that is down, and 200 when all are up', async () => {
    expect((await api.http.get('/readyz').expect(200)).body.status).toBe('ok');
    down = true;
    const res = await api.http.get('/readyz').expect(503);
    expect(res.body).toEqual({ status: 'unavailable', checks: { postgres: 'ok', redis: 'down' } });
    expect(res.text).not.toMatch(/ECONNREFUSED|10\.9\.8\.7|hunter2/);
    down = false;
  });

  it('exposes request latency and command counts on /metrics', async () => {
    const user = await api.user('metered');
    await api.http.post('/api/v1/organizations/').set(user.auth).send({ name: 'Counted' }).expect(201);
    const text = (await api.http.get('/metrics').expect(200)).text;
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/organizations",status="201"\} 1/,
    );
    expect(text).toMatch(/commands_total\{type="CreateOrganization",outcome="ok"\} 1/);
  });

  it('never writes a password to the request log', async () => {
    const lines: string[] = [];
    const pino = (await import('pino')).default;
    const logged = await createTestApi({
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
    });
    try {
      await logged.http
        .post('/api/v1/auth/register/')
        .send({ username: 'loggy', email: 'loggy@example.com', password: 'hunter2 but longer' })
        .expect(201);
      await logged.http
        .post('/api/v1/auth/login/')
        .send({ username: 'loggy', password: 'hunter2 but longer' })
        .expect(200);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain('hunter2');
    } finally {
      await logged.teardown();
    }
  });
  it('guards /metrics with the configured bearer token', async () => {
    const token = 'metrics-token-0123456789';
    const guarded = await createTestApi({ operations: { metrics, metricsToken: token } });
    try {
      const missing = await guarded.http.get('/metrics');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      expect((await guarded.http.get('/metrics').set('Authorization', 'Bearer wrong-token')).status).toBe(
        401,
      );
      const allowed = await guarded.http.get('/metrics').set('Authorization', `Bearer ${token}`);
      expect(allowed.status).toBe(200);
      expect(allowed.text).toMatch(/http_request_duration_seconds/);
    } finally {
      await guarded.teardown();
    }
  });

  it('lets only the Swagger UI page run inline scripts, and sends neither HSTS nor upgrade-insecure-requests over HTTP', async () => {
    const plain = await api.http.get('/api/v1/me/');
    const docs = await api.http.get('/api/docs/');
    expect(docs.status).toBe(200);
    const scripts = (res: typeof docs) =>
      /script-src ([^;]*)/.exec(String(res.headers['content-security-policy']))?.[1] ?? '';
    expect(scripts(plain)).toBe("'self'");
    expect(scripts(docs)).toContain("'unsafe-inline'");
    for (const res of [plain, docs]) {
      expect(res.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });
  it('logs one short line per request (method, path, status, time, request id, user), probes at debug level', async () => {
    const lines: string[] = [];
    const pino = (await import('pino')).default;
    const logged = await createTestApi({
      logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }),
    });
    try {
      const user = await logged.user('logged');
      lines.length = 0;
      await logged.http.get('/api/v1/me/').set(user.auth).set('X-Request-Id', 'req-42').expect(200);
      await logged.http.get('/healthz').expect(200);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const me = entries.find((e) => (e.req as { url?: string } | undefined)?.url === '/api/v1/me/')!;
      expect(me).toMatchObject({
        level: 30,
        req: { id: 'req-42', method: 'GET', url: '/api/v1/me/' },
        res: { statusCode: 200 },
        userId: user.id,
        responseTime: expect.any(Number),
      });
      expect(Object.keys(me.req as object).sort()).toEqual(['id', 'method', 'url']);
      expect(Object.keys(me.res as object)).toEqual(['statusCode']);
      expect(lines.find((l) => l.includes('/api/v1/me/'))!.length).toBeLessThan(400);
      const probe = entries.find((e) => (e.req as { url?: string } | undefined)?.url === '/healthz')!;
      expect(probe.level).toBe(20);
    } finally {
      await logged.teardown();
    }
  });
});
