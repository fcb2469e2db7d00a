import type { Page } from '../../projections/shared/page';
import { principal } from '../auth/authenticate';
import { etag } from '../context';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { idParams, listBody, listOf, minPosition, orNotFound, type ResourceDeps } from './shared';

/** Where a read route is and what it is for, as the OpenAPI document shows it. */
interface About {
  path: string;
  summary: string;
  tag: string;
  /** The 200 answer's description. */
  description: string;
}

/** What every read route has: signed in, and after `?min_position=` (or `X-Min-Position`) when given. */
const reading = (deps: ResourceDeps, about: About) => ({
  method: 'get' as const,
  path: about.path,
  summary: about.summary,
  tag: about.tag,
  auth: true,
  before: [minPosition(deps)],
});

/**
 * `GET` of a list, after `?min_position=` when given, answered `{ results, next }`. `list` answers null when the
 * caller cannot see what the list belongs to: a 404 naming `notFound`.
 */
export const listRoute = <P extends z.ZodType, Q extends z.ZodType>(
  deps: ResourceDeps,
  spec: About & {
    params?: P;
    query: Q;
    item: z.ZodType;
    /** The list's name in the OpenAPI document. */
    listName: string;
    notFound?: string;
    list(input: { params: z.output<P>; query: z.output<Q>; viewerId: string }): Promise<Page<unknown> | null>;
  },
): RouteSpec =>
  route({
    ...reading(deps, spec),
    params: spec.params,
    query: spec.query,
    responses: { 200: { description: spec.description, schema: listOf(spec.item, spec.listName) } },
    async handler({ params, query, req, res }) {
      const page = await spec.list({ params, query, viewerId: principal(req).id });
      res.json(listBody(req, orNotFound(page, spec.notFound ?? 'list')));
    },
  });

/**
 * `GET` of one resource by id, with its stream's revision as the ETag; 404 when the caller cannot see it. With
 * `asOf`, `?as_of=` (an ISO time or a position) answers the resource as it was then, folded from its stream.
 */
export const readRoute = (
  deps: ResourceDeps,
  spec: About & {
    schema: z.ZodType;
    read(id: string, viewerId: string): Promise<unknown>;
    revision(id: string): Promise<number | null>;
    asOf?(id: string, viewerId: string, asOf: string): Promise<{ body: unknown; revision: number } | null>;
  },
): RouteSpec =>
  route({
    ...reading(deps, spec),
    params: idParams,
    query: z.object({
      min_position: z.string().optional(),
      ...(spec.asOf ? { as_of: asOfParam } : {}),
    }),
    responses: { 200: { description: spec.description, schema: spec.schema } },
    async handler({ params, query, req, res }) {
      const viewerId = principal(req).id;
      const asOf = (query as { as_of?: string }).as_of;
      if (spec.asOf && asOf !== undefined) {
        const then = orNotFound(await spec.asOf(params.id, viewerId, asOf), spec.tag.replace(/s$/, ''));
        res.setHeader('ETag', etag(then.revision));
        res.json(then.body);
        return;
      }
      const found = await spec.read(params.id, viewerId);
      const revision = await spec.revision(params.id);
      if (revision !== null) res.setHeader('ETag', etag(revision));
      res.json(found);
    },
  });

/** `?as_of=`: an ISO 8601 time or a position of the log. */
export const asOfParam = z.string().max(100).optional().openapi({
  description: 'As it was at this moment: an ISO 8601 time, or a position as given in X-Position',
});
