import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { problemSchema, z } from './openapi';
import { isCommand, isIdempotent, type RouteSpec } from './routing';

/**
 * The OpenAPI description of the routes: generated from the same zod schemas that validate them, plus what every
 * route of its kind has (the headers the API reads and sets, the problem answers it may give).
 */

const acceptedSchema = z.object({ position: z.string() }).openapi('Accepted');

const COMMON_ERRORS: Record<number, string> = {
  400: 'Invalid input; `errors` names the fields',
  401: 'Missing or bad token',
  404: 'Unknown, or not visible to the caller',
  429: 'Rate limited',
  503: 'A dependency is down',
};

interface ResponseDoc {
  description: string;
  content?: Record<string, { schema: z.ZodType }>;
  headers?: Record<string, { description: string; schema: { type: 'string' } }>;
}

const problem = (description: string): ResponseDoc => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** The request headers the API reads on this kind of route, beside the route's own. */
const requestHeaders = (spec: RouteSpec): z.ZodObject | undefined => {
  const fields: Record<string, z.ZodType> = {};
  if (isIdempotent(spec)) {
    fields['idempotency-key'] = z
      .string()
      .max(255)
      .optional()
      .openapi({ description: 'Retry safely: same key and body → the first response; another body → 422' });
  }
  if (spec.method === 'patch' || spec.method === 'delete') {
    fields['if-match'] = z
      .string()
      .optional()
      .openapi({ description: 'The ETag read (`"3"`): a stale one → 412 and nothing changes' });
  }
  if (isCommand(spec)) {
    fields.prefer = z.string().optional().openapi({
      description: '`respond-async`: answer 202 { position } at once instead of waiting for the read models',
    });
  }
  if (spec.method === 'get' && spec.auth) {
    fields['x-min-position'] = z.string().optional().openapi({
      description: 'Wait (bounded) until the read models reach this position; same as ?min_position=',
    });
  }
  if (Object.keys(fields).length === 0) return spec.headers;
  return (spec.headers ?? z.object({})).extend(fields);
};

/** The headers of a successful answer: the resource's revision, and a command's position in the log. */
const successHeaders = (spec: RouteSpec): ResponseDoc['headers'] => ({
  ...(isCommand(spec)
    ? { 'X-Position': { description: 'The position of the command in the log', schema: { type: 'string' } } }
    : {}),
  ETag: { description: 'The stream revision of a single resource, for If-Match', schema: { type: 'string' } },
});

/** The route's own answers, then every problem answer a route of its kind may give. */
const responsesOf = (spec: RouteSpec): Record<string, ResponseDoc> => {
  const responses: Record<string, ResponseDoc> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema
        ? { content: { [response.contentType ?? 'application/json']: { schema: response.schema } } }
        : {}),
      ...(status.startsWith('2') && spec.auth ? { headers: successHeaders(spec) } : {}),
    };
  }
  for (const [status, description] of Object.entries(COMMON_ERRORS)) {
    if (!spec.auth && status === '401') continue;
    responses[status] ??= problem(description);
  }
  if (spec.body) {
    responses['413'] ??= problem('Body over 1 MiB');
    responses['415'] ??= problem('Body not JSON');
  }
  if (spec.multipart) responses['415'] ??= problem('Body not multipart/form-data');
  if (isCommand(spec)) {
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
  if (isIdempotent(spec)) responses['422'] ??= problem('Idempotency-Key reused with a different body');
  return responses;
};

/** Adds each route to the OpenAPI registry. */
export const describeRoutes = (registry: OpenAPIRegistry, specs: readonly RouteSpec[]): void => {
  for (const spec of specs) {
    const headers = requestHeaders(spec);
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
        ...(spec.multipart
          ? { body: { content: { 'multipart/form-data': { schema: spec.multipart } }, required: true } }
          : {}),
      },
      responses: responsesOf(spec),
    });
  }
};
