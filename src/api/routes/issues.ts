import type { Response } from 'express';
import type { IssuePatch } from '../../domain/issue/commands';
import { principal } from '../auth/authenticate';
import { respondToCommand } from '../command-response';
import { commandContext, etag } from '../context';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { ISSUE_PRIORITIES, ISSUE_STATUSES } from '../../domain/issue/events';
import {
  ISSUE_ORDERINGS,
  getIssue,
  issueAsOf,
  issueHistory,
  listIssues,
} from '../../projections/issues/queries';
import { type ResourceDeps, idParams, listBody, listOf, minPosition, orNotFound, pageQuery } from './shared';

const statusSchema = z.enum(ISSUE_STATUSES as ['open', 'in_progress', 'blocked', 'done']);
const prioritySchema = z.enum(ISSUE_PRIORITIES as ['low', 'medium', 'high', 'critical']);
const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date written YYYY-MM-DD' });
const userRef = z.object({ id: z.uuid(), username: z.string().nullable() });

export const issueSchema = z
  .object({
    id: z.uuid(),
    project: z.uuid(),
    title: z.string(),
    description: z.string(),
    status: statusSchema,
    priority: prioritySchema,
    due_date: z.string().nullable(),
    assigned_to: userRef.nullable(),
    created_by: z.uuid(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Issue');
const createBody = z
  .object({
    project: z.uuid({ message: 'must be a UUID' }),
    title: z.string().max(1000),
    description: z.string().max(10_000).optional(),
    status: statusSchema.optional(),
    priority: prioritySchema.optional(),
    due_date: dateSchema.nullable().optional(),
    assigned_to_id: z.uuid({ message: 'must be a UUID' }).nullable().optional(),
  })
  .openapi('CreateIssueRequest');
const updateBody = z
  .object({
    title: z.string().max(1000).optional(),
    description: z.string().max(10_000).optional(),
    status: statusSchema.optional(),
    priority: prioritySchema.optional(),
    due_date: dateSchema.nullable().optional(),
    assigned_to_id: z.uuid({ message: 'must be a UUID' }).nullable().optional(),
  })
  .openapi('UpdateIssueRequest');
const text = z.string().max(1000);
const listQuery = pageQuery.extend({
  project: text.optional(),
  organization: text.optional(),
  status: z.union([text, z.array(text)]).optional(),
  priority: text.optional(),
  assigned_to: text.optional(),
  due_before: text.optional(),
  due_after: text.optional(),
  due_date: text.optional(),
  search: z.string().max(2000).optional(),
  ordering: z.enum(ISSUE_ORDERINGS as unknown as [string, ...string[]]).optional(),
});
const historyEntry = z
  .object({
    position: z.string(),
    type: z.string(),
    occurred_at: z.string(),
    actor: userRef.nullable(),
    changes: z.record(z.string(), z.tuple([z.unknown(), z.unknown()])),
  })
  .openapi('HistoryEntry');

/** The API's snake_case issue fields as the command side's patch. */
const toPatch = (body: z.output<typeof updateBody>): IssuePatch => ({
  title: body.title,
  description: body.description,
  status: body.status,
  priority: body.priority,
  dueDate: body.due_date,
  assigneeId: body.assigned_to_id,
});

export const issueRoutes = (deps: ResourceDeps): RouteSpec[] => {
  const waitForMin = minPosition(deps);
  /** The issue as the read models have it, its revision set as the ETag. */
  const withEtag = async (res: Response, issueId: string, viewerId: string) => {
    const { issue, revision } = orNotFound(await getIssue(deps.db, issueId, viewerId), 'issue');
    res.setHeader('ETag', etag(revision));
    return issue;
  };

  return [
    route({
      method: 'post',
      path: '/api/v1/issues/',
      summary: "Create an issue (a member of the project's organization)",
      tag: 'issues',
      auth: true,
      body: createBody,
      responses: { 201: { description: 'Created', schema: issueSchema } },
      async handler({ body, req, res }) {
        const result = await deps.commands.createIssue(commandContext(req, res), {
          projectId: body.project,
          ...toPatch(body),
          title: body.title,
        });
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 201,
          location: `/api/v1/issues/${result.issueId}/`,
          body: () => withEtag(res, result.issueId, principal(req).id),
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/issues/',
      summary: "Issues in the caller's organizations, filtered, searched and ordered",
      tag: 'issues',
      auth: true,
      query: listQuery,
      before: [waitForMin],
      responses: { 200: { description: 'Issues', schema: listOf(issueSchema, 'IssueList') } },
      async handler({ query, req, res }) {
        const page = await listIssues(deps.db, principal(req).id, {
          limit: query.limit,
          cursor: query.cursor,
          ordering: query.ordering,
          project: query.project,
          organization: query.organization,
          status: query.status,
          priority: query.priority,
          assignedTo: query.assigned_to,
          dueBefore: query.due_before,
          dueAfter: query.due_after,
          dueDate: query.due_date,
          search: query.search,
        });
        res.json(listBody(req, page));
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/issues/{id}/',
      summary: 'One issue, now or as it was at `as_of` (an ISO time or a position)',
      tag: 'issues',
      auth: true,
      params: idParams,
      query: z.object({ as_of: z.string().max(100).optional(), min_position: z.string().optional() }),
      before: [waitForMin],
      responses: { 200: { description: 'The issue', schema: issueSchema } },
      async handler({ params, query, req, res }) {
        const viewer = principal(req).id;
        const found =
          query.as_of === undefined
            ? await getIssue(deps.db, params.id, viewer)
            : await issueAsOf(deps.db, deps.store, params.id, viewer, query.as_of);
        const { issue, revision } = orNotFound(found, 'issue');
        res.setHeader('ETag', etag(revision));
        res.json(issue);
      },
    }),
    route({
      method: 'patch',
      path: '/api/v1/issues/{id}/',
      summary: 'Change any writable field; `assigned_to_id: null` unassigns; one event per changed field',
      tag: 'issues',
      auth: true,
      params: idParams,
      body: updateBody,
      responses: { 200: { description: 'The issue', schema: issueSchema } },
      async handler({ params, body, req, res }) {
        const result = await deps.commands.updateIssue(commandContext(req, res), params.id, toPatch(body));
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 200,
          body: () => withEtag(res, params.id, principal(req).id),
        });
      },
    }),
    route({
      method: 'delete',
      path: '/api/v1/issues/{id}/',
      summary: 'Delete an issue (owner, manager, or its creator)',
      tag: 'issues',
      auth: true,
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
      async handler({ params, req, res }) {
        const result = await deps.commands.deleteIssue(commandContext(req, res), params.id);
        await respondToCommand(deps.responses, req, res, { position: result.position, status: 204 });
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/issues/{id}/history/',
      summary: 'The issue’s events in order, with actors and field changes',
      tag: 'issues',
      auth: true,
      params: idParams,
      query: pageQuery,
      before: [waitForMin],
      responses: { 200: { description: 'History', schema: listOf(historyEntry, 'IssueHistory') } },
      async handler({ params, query, req, res }) {
        const page = orNotFound(
          await issueHistory(deps.db, deps.store, params.id, principal(req).id, query),
          'issue',
        );
        res.json(listBody(req, page));
      },
    }),
  ];
};
