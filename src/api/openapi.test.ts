/**
 * The OpenAPI document at /api/schema/: valid OpenAPI 3.1 (checked with @seriousme/openapi-schema-validator), listing
 * exactly the routes the app serves; and Swagger UI at /api/docs/.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expectProblem } from '../../test/support/http';
import { routeKey, SERVED_ROUTES } from '../../test/support/routes';
import { useTestApi } from '../../test/support/suite';

interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The validator is ESM-only and jest here runs CommonJS, so it runs in a child Node process that reads the document
 * on stdin.
 */
const validate = (document: unknown): { valid: boolean; version: string; errors: unknown } => {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text));
    process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify(document),
    cwd: path.resolve(__dirname, '../..'),
    encoding: 'utf8',
  });
  return JSON.parse(out);
};

/** Method and path of every route express has, OpenAPI-style (`:id` → `{id}`, with the trailing slash). */
const expressRoutes = (app: unknown): string[] => {
  interface Layer {
    route?: { path: string | string[]; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const p of Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path]) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all')
              found.push(`${method.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}').replace(/\/?$/, '/')}`);
          }
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(found)];
};

describe('OpenAPI document and Swagger UI', () => {
  const api = useTestApi();
  let document: Document;

  beforeAll(async () => {
    const res = await api.http.get('/api/schema/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    document = res.body;
  });

  it('is a valid OpenAPI 3.1 document', () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const result = validate(document);
    expect(result.errors).toBeNull();
    expect(result).toEqual({ valid: true, version: '3.1', errors: null });
  });

  it('is checked by a validator that does refuse a broken document', () => {
    const broken = JSON.parse(JSON.stringify(document)) as Document;
    delete (broken.paths['/api/v1/issues/']!.get as Partial<Operation>).responses;
    (broken.info as Partial<Document['info']>).title = undefined;
    expect(validate(broken).valid).toBe(false);
  });

  it('is served without the trailing slash and needs no token', async () => {
    const res = await api.http.get('/api/schema');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(document);
  });

  it('lists exactly the routes of API.md that the API serves', () => {
    const listed = Object.entries(document.paths).flatMap(([p, item]) =>
      METHODS.filter((m) => item[m] !== undefined).map((m) => routeKey({ method: m, path: p })),
    );
    expect(listed.sort()).toEqual(SERVED_ROUTES.map(routeKey).sort());
  });

  it('lists every route express serves, apart from operations and the document itself', () => {
    const operational = new Set(['GET /healthz/', 'GET /readyz/', 'GET /metrics/', 'GET /api/schema/']);
    const served = expressRoutes(api.system.app).filter((r) => !operational.has(r));
    expect(served.sort()).toEqual(SERVED_ROUTES.map(routeKey).sort());
  });

  it('answers each listed route with something other than "no route", with and without the trailing slash', async () => {
    const id = '0190a5b8-0000-7000-8000-000000000000';
    for (const [p, item] of Object.entries(document.paths)) {
      for (const method of METHODS.filter((m) => item[m] !== undefined)) {
        const concrete = p.replace(/\{\w+\}/g, id);
        for (const variant of [concrete, concrete.replace(/\/$/, '')]) {
          const res = await api.http[method](variant).send({});
          expect(`${method} ${variant} ${res.status} ${res.body?.detail ?? ''}`).not.toMatch(/no route for/);
        }
      }
    }
  });

  it('describes each operation: summary, path parameters, bodies, bearer security and the problem answers', () => {
    for (const route of SERVED_ROUTES) {
      const operation = document.paths[route.path]?.[route.method];
      expect(operation).toBeDefined();
      if (!operation) continue;
      expect(operation.summary).toEqual(expect.any(String));
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort()).toEqual(pathParams.sort());
      for (const p of declared) expect(p.required).toBe(true);
      if (route.method === 'post' || route.method === 'patch') expect(operation.requestBody).toBeDefined();
      const open = /\/auth\/(register|login|refresh)\/$|^\/api\/token\//.test(route.path);
      expect(operation.security === undefined).toBe(open);
      if (!open)
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '401', '404']));
      const success = Object.keys(operation.responses).filter((s) => s.startsWith('2'));
      expect(success.length).toBeGreaterThan(0);
    }
    expect(document.components?.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
  });

  it('documents the list filters and orderings of GET /issues/ and Idempotency-Key on POST', () => {
    const list = document.paths['/api/v1/issues/']!.get!;
    const names = (list.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'limit',
        'cursor',
        'min_position',
        'project',
        'organization',
        'status',
        'priority',
        'assigned_to',
        'due_before',
        'due_after',
        'due_date',
        'search',
        'ordering',
      ]),
    );
    for (const route of SERVED_ROUTES.filter(
      (r) => r.method === 'post' && r.path.startsWith('/api/v1/') && !r.path.includes('/auth/'),
    )) {
      const headers = (document.paths[route.path]![route.method]!.parameters ?? [])
        .filter((p) => p.in === 'header')
        .map((p) => p.name.toLowerCase());
      expect(headers).toContain('idempotency-key');
    }
  });

  it('gives the allowed values of enumerated filters, every filter a description, and plain summaries', () => {
    type Param = { name: string; in: string; description?: string; schema?: Record<string, unknown> };
    const params = (document.paths['/api/v1/issues/']!.get!.parameters ?? []) as Param[];
    const byName = new Map(params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
    const enumOf = (name: string): unknown[] => {
      const text = JSON.stringify(byName.get(name)?.schema ?? {});
      return [...text.matchAll(/"enum":\[([^\]]*)\]/g)].flatMap((m) => JSON.parse(`[${m[1]}]`));
    };
    expect(new Set(enumOf('status'))).toEqual(new Set(['open', 'in_progress', 'blocked', 'done']));
    expect(new Set(enumOf('priority'))).toEqual(new Set(['low', 'medium', 'high', 'critical']));
    expect(new Set(enumOf('ordering'))).toEqual(
      new Set(
        ['created_at', 'updated_at', 'due_date', 'priority', 'status', 'title'].flatMap((o) => [o, `-${o}`]),
      ),
    );
    for (const name of ['project', 'organization', 'updated_after', 'assigned_to', 'due_before', 'search']) {
      expect(byName.get(name)?.description).toEqual(expect.any(String));
    }
    expect(JSON.stringify(byName.get('search')?.schema)).toMatch(/"maxLength":500/);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item))
        expect([path, operation.summary]).not.toEqual([path, expect.stringMatching(/`/)]);
    }
  });

  it('advertises the limits the server enforces', () => {
    const schemas = document.components?.schemas as Record<
      string,
      { properties: Record<string, { maxLength?: number }> }
    >;
    expect(schemas.CreateIssueRequest!.properties.title!.maxLength).toBe(255);
    expect(schemas.UpdateIssueRequest!.properties.title!.maxLength).toBe(255);
    expect(schemas.CreateIssueRequest!.properties.description!.maxLength).toBe(10_000);
    expect(schemas.OrganizationRequest!.properties.name!.maxLength).toBe(255);
    expect(schemas.CreateProjectRequest!.properties.name!.maxLength).toBe(255);
  });

  it('describes uploads as multipart/form-data with a binary file, so Swagger UI can send one', () => {
    const schemas = document.components?.schemas as Record<string, unknown>;
    for (const path of ['/api/v1/issues/{id}/attachments/', '/api/v1/issues/{id}/upload/']) {
      const body = document.paths[path]!.post!.requestBody as {
        required: boolean;
        content: Record<string, { schema: { $ref?: string } }>;
      };
      expect(Object.keys(body.content)).toEqual(['multipart/form-data']);
      expect(body.required).toBe(true);
      const ref = body.content['multipart/form-data']!.schema.$ref!.split('/').pop()!;
      expect(schemas[ref]).toMatchObject({
        type: 'object',
        properties: { file: { type: 'string', format: 'binary' } },
        required: ['file'],
      });
      expect(Object.keys(document.paths[path]!.post!.responses)).toEqual(
        expect.arrayContaining(['201', '413', '415']),
      );
    }
    const content = document.paths['/api/v1/attachments/{id}/content/']!.get!.responses;
    expect(Object.keys(content)).toEqual(expect.arrayContaining(['200', '206', '304', '404', '416']));
  });

  it('resolves every $ref to a component', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, kind, name] of refs) expect(document.components?.[kind!]?.[name!]).toBeDefined();
  });

  it('serves Swagger UI at /api/docs/', async () => {
    const res = await api.http.get('/api/docs/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/swagger-ui/i);
    const init = await api.http.get('/api/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('"openapi": "3.1.0"');
    const bare = await api.http.get('/api/docs');
    expect([200, 301, 302, 308]).toContain(bare.status);
    if (bare.status !== 200) expect(bare.headers.location).toBe('/api/docs/');
  });

  it('keeps problem+json for routes that do not exist under /api/', async () => {
    expectProblem(await api.http.get('/api/schema/extra'), 404);
  });
});
