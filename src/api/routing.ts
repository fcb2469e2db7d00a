import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { problemSchema, z } from './openapi';
import { sendProblem } from './problem';
import { parseInput, withoutReadOnly } from './validate';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/**
 * One route: the zod schemas that validate it are the ones the OpenAPI document is generated from.
 * `path` is written OpenAPI-style (`/api/v1/issues/{id}/`); it answers with and without the trailing slash.
 */
export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  /** Whether a bearer token is required. */
  auth: boolean;
  params?: P;
  query?: Q;
  body?: B;
  headers?: z.ZodObject;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Extra middleware run before the handler (after authentication). */
  before?: RequestHandler[];
  /** POST only: whether `Idempotency-Key` applies (default true). */
  idempotent?: boolean;
  /**
   * The resource's read-only fields: accepted in the body and ignored (clients round-trip what they read). Any
   * other field the body schema does not name is a 400 naming it.
   */
  readOnly?: readonly string[];
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<void> | void;
}

export const route = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
) => spec as unknown as RouteSpec;

const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1').replace(/\/$/, '') || '/';

const acceptedSchema = z.object({ position: z.string() }).openapi('Accepted');

const COMMON_ERRORS: Record<number, string> = {
  400: 'Invalid input; `errors` names the fields',
  401: 'Missing or bad token',
  404: 'Unknown, or not visible to the caller',
  429: 'Rate limited',
  503: 'A dependency is down',
};

export const mountRoutes = (
  router: Router,
  registry: OpenAPIRegistry,
  specs: readonly RouteSpec[],
  authenticate: RequestHandler,
  idempotency: RequestHandler,
): void => {
  for (const spec of specs) {
    const idempotent = spec.method === 'post' && spec.idempotent !== false;
    const isCommand = spec.auth && spec.method !== 'get';
    const headerFields: Record<string, z.ZodType> = {};
    if (idempotent) {
      headerFields['idempotency-key'] = z
        .string()
        .max(255)
        .optional()
        .openapi({ description: 'Retry safely: same key and body → the first response; another body → 422' });
    }
    if (spec.method === 'patch' || spec.method === 'delete') {
      headerFields['if-match'] = z
        .string()
        .optional()
        .openapi({ description: 'The ETag read (`"3"`): a stale one → 412 and nothing changes' });
    }
    if (isCommand) {
      headerFields.prefer = z.string().optional().openapi({
        description:
          '`respond-async`: answer 202 { position } at once instead of waiting for the read models',
      });
    }
    if (spec.method === 'get' && spec.auth) {
      headerFields['x-min-position'] = z.string().optional().openapi({
        description: 'Wait (bounded) until the read models reach this position; same as ?min_position=',
      });
    }
    const headers =
      Object.keys(headerFields).length > 0
        ? (spec.headers ?? z.object({})).extend(headerFields)
        : spec.headers;
    const responseHeaders = {
      ...(isCommand
        ? {
            'X-Position': {
              description: 'The position of the command in the log',
              schema: { type: 'string' as const },
            },
          }
        : {}),
      ETag: {
        description: 'The stream revision of a single resource, for If-Match',
        schema: { type: 'string' as const },
      },
    };
    const responses: Record<
      string,
      {
        description: string;
        content?: Record<string, { schema: z.ZodType }>;
        headers?: typeof responseHeaders;
      }
    > = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      const success = status.startsWith('2');
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
        ...(success && spec.auth ? { headers: responseHeaders } : {}),
      };
    }
    const problem = (description: string) => ({
      description,
      content: { 'application/problem+json': { schema: problemSchema } },
    });
    for (const [status, description] of Object.entries(COMMON_ERRORS)) {
      if (!spec.auth && status === '401') continue;
      responses[status] ??= problem(description);
    }
    if (spec.body) {
      responses['413'] ??= problem('Body over 1 MiB');
      responses['415'] ??= problem('Body not JSON');
    }
    if (isCommand) {
      responses['202'] ??= {
        description:
          'Accepted (Prefer: respond-async, or the read models were slow): { position } and a Location',
        content: { 'application/json': { schema: acceptedSchema } },
      };
      responses['403'] ??= problem('A member whose role does not allow this');
      responses['409'] ??= problem('The request contradicts the current state');
    }
    if (spec.method === 'patch' || spec.method === 'delete')
      responses['412'] ??= problem('If-Match does not match');
    if (idempotent) responses['422'] ??= problem('Idempotency-Key reused with a different body');
    registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.auth ? { security: [{ bearer: [] }] } : {}),
      request: {
        ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
        ...(headers ? { headers } : {}),
        ...(spec.body
          ? {
              body: {
                content: { 'application/json': { schema: spec.body } },
                // A body whose fields are all optional may be left out altogether.
                required: !spec.body.safeParse({}).success,
              },
            }
          : {}),
      },
      responses,
    });
    // Input is parsed before anything else looks at the request (rate limiters, idempotency keys, waits): a
    // malformed request is a 400 that costs nothing and counts against nothing.
    const writable = spec.body instanceof z.ZodObject ? Object.keys(spec.body.shape) : null;
    const parse: RequestHandler = (req, res, next) => {
      // No body at all is an empty one, so each required field is named rather than "body".
      const sent = req.body ?? {};
      res.locals.input = {
        params: spec.params ? parseInput(spec.params, req.params, 'path') : req.params,
        query: spec.query ? parseInput(spec.query, req.query, 'query') : req.query,
        body: spec.body
          ? parseInput(
              spec.body,
              writable ? withoutReadOnly(sent, writable, spec.readOnly ?? []) : sent,
              'body',
            )
          : undefined,
      };
      next();
    };
    const handler = async (req: Request, res: Response, _next: NextFunction) => {
      const input = res.locals.input as Pick<RouteInput<never, never, never>, 'params' | 'query' | 'body'>;
      await spec.handler({ ...input, req, res } as RouteInput<never, never, never>);
    };
    const chain = [
      ...(spec.auth ? [authenticate] : []),
      parse,
      ...(spec.before ?? []),
      ...(idempotent ? [idempotency] : []),
      handler,
    ];
    router[spec.method](expressPath(spec.path), ...chain);
  }
};

/**
 * `405` with `Allow` for a path the API has, asked with a method it does not have (`404` stays for paths it does
 * not have at all). Mounted after every route.
 */
export const methodNotAllowed = (specs: readonly RouteSpec[]): RequestHandler => {
  const byPath = new Map<string, Set<string>>();
  for (const spec of specs) {
    const path = expressPath(spec.path);
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(spec.method.toUpperCase());
    if (spec.method === 'get') methods.add('HEAD');
    byPath.set(path, methods);
  }
  // The routes' paths have only `:name` segments: each matches one segment, and a trailing slash is optional.
  const pattern = (path: string) =>
    new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}/?$`);
  const matchers = [...byPath].map(([path, methods]) => ({
    pattern: pattern(path),
    allow: [...methods].sort().join(', '),
  }));
  return (req, res, next) => {
    const found = matchers.find((m) => m.pattern.test(req.path));
    if (!found) return next();
    res.setHeader('Allow', found.allow);
    sendProblem(res, 405, `${req.method} is not allowed here; allowed: ${found.allow}`);
  };
};
