import type { Response } from 'express';
import type { Knex } from 'knex';
import type { IssuePatch } from '../../domain/issue/commands';
import { principal } from '../auth/authenticate';
import { etag } from '../context';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { ISSUE_PRIORITIES, ISSUE_STATUSES } from '../../domain/issue/events';
import { ISSUE_DESCRIPTION_MAX, ISSUE_LABELS_MAX, ISSUE_TITLE_MAX } from '../../domain/issue/fields';
import { parseIssueKey } from '../../domain/project/key';
import { ValidationError } from '../../domain/shared/errors';
import {
  ISSUE_ORDERINGS,
  LABEL_FILTER_MAX,
  SEARCH_MAX,
  SEARCH_TERMS_MAX,
  getIssue,
  issueAsOf,
  issueByKey,
  issueHistory,
  listIssues,
} from '../../projections/issues/queries';
import { isUuid } from '../../shared/uuid';
import { HttpError } from '../problem';
import { attachmentSchema } from './attachments';
import { labelSchema } from './labels';
import { listRoute } from './reads';
import { idParams, minPosition, orNotFound, pageQuery, type ResourceDeps, runCommand } from './shared';

const statusSchema = z.enum(ISSUE_STATUSES);
const prioritySchema = z.enum(ISSUE_PRIORITIES);
const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date written YYYY-MM-DD' });
const userRef = z.object({ id: z.uuid(), username: z.string().nullable() });
const userId = z.uuid({ message: 'must be a user id (a UUID)' });

export const issueSchema = z
  .object({
    id: z.uuid(),
    key: z.string().nullable().openapi({
      description: '<PROJECT KEY>-<number>, e.g. WEB-12; null until its project is numbered',
      example: 'WEB-12',
    }),
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
    labels: z.array(labelSchema).openapi({ description: 'By name; set with label_ids' }),
    comment_count: z.int().openapi({ description: 'Its comments (deleted ones not counted)' }),
    watching: z
      .boolean()
      .openapi({ description: 'Whether the caller watches it (see POST /issues/{id}/watch/)' }),
    attachments: z
      .array(attachmentSchema)
      .openapi({ description: 'Live attachments, oldest first; added with POST /issues/{id}/attachments/' }),
  })
  .openapi('Issue');

/** What an issue answer carries that no request writes: sent back by a client round-tripping it, and ignored. */
const ISSUE_READ_ONLY = [
  'id',
  'key',
  'created_by',
  'created_at',
  'updated_at',
  'labels',
  'comment_count',
  'watching',
  'attachments',
];

const writableFields = {
  title: z
    .string()
    .trim()
    .min(1)
    .max(ISSUE_TITLE_MAX)
    .openapi({ description: `1–${ISSUE_TITLE_MAX} characters after trimming` }),
  description: z.string().max(ISSUE_DESCRIPTION_MAX).optional(),
  status: statusSchema.optional(),
  priority: prioritySchema.optional(),
  due_date: dateSchema.nullable().optional(),
  assigned_to_id: userId
    .nullable()
    .optional()
    .openapi({ description: 'A member of the organization; null: nobody' }),
  assigned_to: z
    .union([userId, z.object({ id: userId, username: z.string().nullable().optional() }), z.null()])
    .optional()
    .openapi({
      description: 'The same as assigned_to_id, in the shape answers use: a user id, { id } or null',
    }),
  label_ids: z
    .array(z.string().max(100))
    .max(ISSUE_LABELS_MAX)
    .optional()
    .openapi({
      description: `The whole set (at most ${ISSUE_LABELS_MAX}): labels of the issue's organization, in any order; [] takes every label off`,
    }),
};
const createBody = z
  .object({ project: z.uuid({ message: 'must be a UUID' }), ...writableFields })
  .openapi('CreateIssueRequest');
const updateBody = z
  .object({ ...writableFields, title: writableFields.title.optional() })
  .openapi('UpdateIssueRequest');

const many = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]);
const listQuery = pageQuery.extend({
  project: z.string().max(100).optional().openapi({ description: 'A project id' }),
  organization: z.string().max(100).optional().openapi({ description: 'An organization id' }),
  status: many(statusSchema).optional().openapi({ description: 'Repeatable: any of these' }),
  priority: many(prioritySchema).optional().openapi({ description: 'Repeatable: any of these' }),
  updated_after: z
    .string()
    .max(100)
    .optional()
    .openapi({ description: 'Changed strictly after this ISO 8601 time (for clients that sync)' }),
  assigned_to: z.string().max(100).optional().openapi({ description: 'A user id, me, or none' }),
  due_before: z
    .string()
    .max(100)
    .optional()
    .openapi({ description: 'Due strictly before this date (YYYY-MM-DD)' }),
  due_after: z
    .string()
    .max(100)
    .optional()
    .openapi({ description: 'Due strictly after this date (YYYY-MM-DD)' }),
  due_date: z.string().max(100).optional().openapi({ description: 'Due on this date (YYYY-MM-DD)' }),
  search: z
    .string()
    .max(SEARCH_MAX)
    .optional()
    .openapi({
      description: `Up to ${SEARCH_TERMS_MAX} whitespace-separated terms, each found in the title or the description as a case- and accent-insensitive substring`,
    }),
  ordering: z
    .enum(ISSUE_ORDERINGS)
    .optional()
    .openapi({ description: 'Default -created_at; ties by created_at, then id, in the same direction' }),
  label: many(z.string().max(100))
    .optional()
    .openapi({
      description: `A label id; repeatable (at most ${LABEL_FILTER_MAX}): issues with every one of them`,
    }),
  key: z.string().max(100).optional().openapi({ description: 'An issue key, e.g. WEB-12 (any case)' }),
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

/** `assigned_to` (the answers' shape) as a write of `assigned_to_id`; both at once must agree. */
const assigneeOf = (body: z.output<typeof updateBody>): string | null | undefined => {
  const alias = body.assigned_to;
  const viaAlias = alias === undefined || alias === null || typeof alias === 'string' ? alias : alias.id;
  if (body.assigned_to_id !== undefined && viaAlias !== undefined && body.assigned_to_id !== viaAlias)
    throw ValidationError.field('assigned_to', 'names another user than assigned_to_id');
  return body.assigned_to_id !== undefined ? body.assigned_to_id : viaAlias;
};

/** The API's snake_case issue fields as the command side's patch. */
const toPatch = (body: z.output<typeof updateBody>): IssuePatch => ({
  title: body.title,
  description: body.description,
  status: body.status,
  priority: body.priority,
  dueDate: body.due_date,
  assigneeId: assigneeOf(body),
  labelIds: body.label_ids,
});

/** The issue as the read models have it, its revision set as the ETag. */
const issueWithEtag = async (db: Knex, res: Response, issueId: string, viewerId: string) => {
  const { issue, revision } = orNotFound(await getIssue(db, issueId, viewerId), 'issue');
  res.setHeader('ETag', etag(revision));
  return issue;
};

const createIssueRoute = (deps: ResourceDeps) =>
  route({
    method: 'post',
    path: '/api/v1/issues/',
    summary: "Create an issue (a member of the project's organization)",
    tag: 'issues',
    auth: true,
    body: createBody,
    readOnly: ISSUE_READ_ONLY,
    responses: { 201: { description: 'Created', schema: issueSchema } },
    handler: ({ body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.createIssue(context, {
            projectId: body.project,
            ...toPatch(body),
            title: body.title,
          }),
        ({ issueId }) => ({
          status: 201,
          location: `/api/v1/issues/${issueId}/`,
          body: () => issueWithEtag(deps.db, res, issueId, principal(req).id),
        }),
      ),
  });

const listIssuesRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/issues/',
    summary: "Issues in the caller's organizations, filtered, searched and ordered",
    tag: 'issues',
    description: 'Issues',
    query: listQuery,
    item: issueSchema,
    listName: 'IssueList',
    list: ({ query, viewerId }) =>
      listIssues(deps.db, viewerId, {
        limit: query.limit,
        cursor: query.cursor,
        ordering: query.ordering,
        project: query.project,
        organization: query.organization,
        status: query.status,
        priority: query.priority,
        updatedAfter: query.updated_after,
        assignedTo: query.assigned_to,
        dueBefore: query.due_before,
        dueAfter: query.due_after,
        dueDate: query.due_date,
        search: query.search,
        label: query.label,
        key: query.key,
      }),
  });

/** `{id}` of `GET /issues/{id}/`: the issue's id, or its key. */
const idOrKeyParams = z.object({
  id: z
    .string()
    .refine((value) => isUuid(value) || parseIssueKey(value) !== null, {
      message: 'must be a UUID or an issue key such as WEB-12',
    })
    .openapi({ description: 'The issue id, or its key (WEB-12, any case)' }),
});

/**
 * The issue a key names for the viewer: in their organizations (or the one `?organization=` names). Keys are unique
 * in an organization, not across them: when two of the viewer's organizations both have it, the answer is 409
 * naming each candidate (in `errors`, on `organization`), never a guess.
 */
const issueOfKey = async (deps: ResourceDeps, key: string, viewerId: string, organization?: string) => {
  const lookup = await issueByKey(deps.db, key, viewerId, organization);
  if ('ambiguous' in lookup) {
    const named = key.toUpperCase();
    throw new HttpError(
      409,
      'Conflict',
      `${named} names an issue in ${lookup.ambiguous.length} of your organizations: add ?organization= or use its id`,
      {
        errors: lookup.ambiguous.map((c) => ({
          path: 'organization',
          message: `${c.organization}: ${named} is issue ${c.id}`,
        })),
      },
    );
  }
  return orNotFound(lookup.found, 'issue');
};

const getIssueRoute = (deps: ResourceDeps) =>
  route({
    method: 'get',
    path: '/api/v1/issues/{id}/',
    summary: 'One issue, by id or key (WEB-12), now or as it was at as_of (an ISO time or a position)',
    tag: 'issues',
    auth: true,
    params: idOrKeyParams,
    query: z.object({
      as_of: z.string().max(100).optional(),
      min_position: z.string().optional(),
      organization: z
        .uuid({ message: 'must be a UUID' })
        .optional()
        .openapi({ description: 'With a key: the organization to look it up in' }),
    }),
    before: [minPosition(deps)],
    responses: {
      200: { description: 'The issue', schema: issueSchema },
      409: { description: 'The key names an issue in several of your organizations (candidates listed)' },
    },
    async handler({ params, query, req, res }) {
      const viewer = principal(req).id;
      const byKey = isUuid(params.id) ? null : await issueOfKey(deps, params.id, viewer, query.organization);
      const id = byKey?.issue.id ?? params.id;
      const found =
        query.as_of !== undefined
          ? await issueAsOf(deps.db, deps.streams, id, viewer, query.as_of)
          : (byKey ?? (await getIssue(deps.db, id, viewer)));
      const { issue, revision } = orNotFound(found, 'issue');
      res.setHeader('ETag', etag(revision));
      res.json(issue);
    },
  });

const updateIssueRoute = (deps: ResourceDeps) =>
  route({
    method: 'patch',
    path: '/api/v1/issues/{id}/',
    summary: 'Change any writable field (assigned_to_id: null unassigns); one event per changed field',
    tag: 'issues',
    auth: true,
    params: idParams,
    body: updateBody,
    readOnly: [...ISSUE_READ_ONLY, 'project'],
    responses: { 200: { description: 'The issue', schema: issueSchema } },
    handler: ({ params, body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) => deps.commands.updateIssue(context, { issueId: params.id, ...toPatch(body) }),
        () => ({ status: 200, body: () => issueWithEtag(deps.db, res, params.id, principal(req).id) }),
      ),
  });

const deleteIssueRoute = (deps: ResourceDeps) =>
  route({
    method: 'delete',
    path: '/api/v1/issues/{id}/',
    summary: 'Delete an issue (owner, manager, or its creator)',
    tag: 'issues',
    auth: true,
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: ({ params, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) => deps.commands.deleteIssue(context, { issueId: params.id }),
        () => ({ status: 204 }),
      ),
  });

const restoreIssueRoute = (deps: ResourceDeps) =>
  route({
    method: 'post',
    path: '/api/v1/issues/{id}/restore/',
    summary: 'Bring back a deleted issue (owner, manager, or its creator); its history shows both',
    tag: 'issues',
    auth: true,
    params: idParams,
    body: z.object({}).openapi('RestoreIssueRequest'),
    readOnly: ISSUE_READ_ONLY,
    responses: { 200: { description: 'The issue, back in lists', schema: issueSchema } },
    handler: ({ params, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) => deps.commands.restoreIssue(context, { issueId: params.id }),
        () => ({ status: 200, body: () => issueWithEtag(deps.db, res, params.id, principal(req).id) }),
      ),
  });

const issueHistoryRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/issues/{id}/history/',
    summary: 'The issue’s events in order, with actors and field changes',
    tag: 'issues',
    description: 'History',
    params: idParams,
    query: pageQuery,
    item: historyEntry,
    listName: 'IssueHistory',
    notFound: 'issue',
    list: ({ params, query, viewerId }) => issueHistory(deps.db, deps.streams, params.id, viewerId, query),
  });

export const issueRoutes = (deps: ResourceDeps): RouteSpec[] => [
  createIssueRoute(deps),
  listIssuesRoute(deps),
  getIssueRoute(deps),
  updateIssueRoute(deps),
  deleteIssueRoute(deps),
  restoreIssueRoute(deps),
  issueHistoryRoute(deps),
];
