import { createMetrics } from '../platform/metrics';
import { createTestApi, type TestApi } from '../../test/support/api';

describe('operations endpoints', () => {
  let api: TestApi;
  let down = false;
  const metrics = createMetrics({ collectDefault: false });

  beforeAll(async () => {
    api = await createTestApi({
      operations: {
        readiness: async (): Promise<{ ok: boolean; checks: Record<string, string> }> =>
          down
            ? { ok: false, checks: { postgres: 'ok', redis: 'connection refused' } }
            : { ok: true, checks: { postgres: 'ok' } },
        metrics,
        observe: metrics.observeHttp,
      },
      observeCommand: (type, outcome) => metrics.commands.inc({ type, outcome }),
    });
  });
  afterAll(() => api.teardown());

  it('answers /healthz while the process is up', async () => {
    expect((await api.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming the dependency that is down, and 200 when all are up', async () => {
    expect((await api.http.get('/readyz').expect(200)).body.status).toBe('ok');
    down = true;
    const res = await api.http.get('/readyz').expect(503);
    expect(res.body).toEqual({
      status: 'unavailable',
      checks: { postgres: 'ok', redis: 'connection refused' },
    });
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
});
