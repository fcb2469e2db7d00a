import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { z } from './openapi';
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
  /**
   * A `multipart/form-data` body, read by the handler itself as a stream (never parsed here): its fields, for the
   * OpenAPI document only.
   */
  multipart?: z.ZodObject;
  headers?: z.ZodObject;
  /** `contentType`: an answer that is not JSON (a file: `application/octet-stream`). */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
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

/** Whether a POST takes `Idempotency-Key`. */
export const isIdempotent = (spec: RouteSpec): boolean => spec.method === 'post' && spec.idempotent !== false;

/** A route that changes state: it answers `202`, `X-Position`, `409`, and takes `Prefer: respond-async`. */
export const isCommand = (spec: RouteSpec): boolean => spec.auth && spec.method !== 'get';

/**
 * Parses the route's path, query and body before anything else looks at the request (rate limiters, idempotency
 * keys, waits): a malformed request is a 400 that costs nothing and counts against nothing.
 */
const parseRequest = (spec: RouteSpec): RequestHandler => {
  const writable = spec.body instanceof z.ZodObject ? Object.keys(spec.body.shape) : null;
  return (req, res, next) => {
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
};

/** Mounts each route on the router: authentication, parsing, the route's own middleware, idempotency, handler. */
export const mountRoutes = (
  router: Router,
  specs: readonly RouteSpec[],
  authenticate: RequestHandler,
  idempotency: RequestHandler,
): void => {
  for (const spec of specs) {
    const handler = async (req: Request, res: Response, _next: NextFunction) => {
      const input = res.locals.input as Pick<RouteInput<never, never, never>, 'params' | 'query' | 'body'>;
      await spec.handler({ ...input, req, res } as RouteInput<never, never, never>);
    };
    router[spec.method](
      expressPath(spec.path),
      ...(spec.auth ? [authenticate] : []),
      parseRequest(spec),
      ...(spec.before ?? []),
      ...(isIdempotent(spec) ? [idempotency] : []),
      handler,
    );
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
