import type { Knex } from 'knex';
import { COMMENT_BODY_MAX } from '../../domain/issue/fields';
import { commentAccess, listComments } from '../../projections/comments/queries';
import { principal } from '../auth/authenticate';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { listRoute } from './reads';
import { atRevision, idParams, orNotFound, pageQuery, type ResourceDeps, runCommand } from './shared';

export const commentSchema = z
  .object({
    id: z.uuid(),
    issue: z.uuid(),
    author: z.object({ id: z.uuid(), username: z.string().nullable() }),
    body: z.string(),
    created_at: z.string(),
    edited_at: z
      .string()
      .nullable()
      .openapi({ description: 'When its last version was written; null if never edited' }),
  })
  .openapi('Comment');

const body = z
  .string()
  .max(COMMENT_BODY_MAX * 2)
  .openapi({
    description: `1–${COMMENT_BODY_MAX} characters after trimming; each @username of a member of the issue's organization mentions them`,
  });
const commentBody = z.object({ body }).openapi('CommentRequest');
const COMMENT_READ_ONLY = ['id', 'issue', 'author', 'created_at', 'edited_at'];

/** The comment as the read models have it, for its viewer; 404 when it is gone or not theirs to see. */
const commentOf = async (db: Knex, commentId: string, viewerId: string) =>
  orNotFound(await commentAccess(db, commentId, viewerId), 'comment').comment;

/**
 * The issue a comment is on, which names the stream its commands run on. A comment never moves, so the read model
 * answers it exactly once it shows the comment; the command checks the rest on the issue's stream (the caller's
 * role, whether the comment still exists, who wrote it).
 */
const issueOfComment = async (db: Knex, commentId: string, viewerId: string) =>
  orNotFound(await commentAccess(db, commentId, viewerId), 'comment').issueId;

const createCommentRoute = (deps: ResourceDeps) =>
  route({
    method: 'post',
    path: '/api/v1/issues/{id}/comments/',
    summary: 'Comment on an issue (a member of its organization); @username mentions a member',
    tag: 'comments',
    auth: true,
    params: idParams,
    body: commentBody,
    readOnly: COMMENT_READ_ONLY,
    responses: { 201: { description: 'Created', schema: commentSchema } },
    handler: ({ params, body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) => deps.commands.addComment(context, { issueId: params.id, body: body.body }),
        ({ commentId, revision }) => ({
          status: 201,
          location: `/api/v1/comments/${commentId}/`,
          body: atRevision(res, revision, () => commentOf(deps.db, commentId, principal(req).id)),
        }),
      ),
  });

const listCommentsRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/issues/{id}/comments/',
    summary: "The issue's comments, oldest first (members)",
    tag: 'comments',
    description: 'Comments',
    params: idParams,
    query: pageQuery,
    item: commentSchema,
    listName: 'CommentList',
    notFound: 'issue',
    list: ({ params, query, viewerId }) => listComments(deps.db, params.id, viewerId, query),
  });

const updateCommentRoute = (deps: ResourceDeps) =>
  route({
    method: 'patch',
    path: '/api/v1/comments/{id}/',
    summary: 'Edit a comment (its author only); every version stays in the issue’s history',
    tag: 'comments',
    auth: true,
    params: idParams,
    body: commentBody,
    readOnly: COMMENT_READ_ONLY,
    responses: { 200: { description: 'The comment', schema: commentSchema } },
    async handler({ params, body, req, res }) {
      const issueId = await issueOfComment(deps.db, params.id, principal(req).id);
      await runCommand(
        deps,
        { req, res },
        (context) => deps.commands.editComment(context, { issueId, commentId: params.id, body: body.body }),
        ({ revision }) => ({
          status: 200,
          body: atRevision(res, revision, () => commentOf(deps.db, params.id, principal(req).id)),
        }),
      );
    },
  });

const deleteCommentRoute = (deps: ResourceDeps) =>
  route({
    method: 'delete',
    path: '/api/v1/comments/{id}/',
    summary: 'Delete a comment (its author, an owner or a manager)',
    tag: 'comments',
    auth: true,
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    async handler({ params, req, res }) {
      const issueId = await issueOfComment(deps.db, params.id, principal(req).id);
      await runCommand(
        deps,
        { req, res },
        (context) => deps.commands.deleteComment(context, { issueId, commentId: params.id }),
        () => ({ status: 204 }),
      );
    },
  });

const watchRoute = (deps: ResourceDeps, method: 'post' | 'delete') =>
  route({
    method,
    path: '/api/v1/issues/{id}/watch/',
    summary:
      method === 'post'
        ? 'Watch an issue (members): hear of its changes and comments'
        : 'Stop watching an issue (members): wins over watching automatically until you watch again',
    tag: 'comments',
    auth: true,
    params: idParams,
    ...(method === 'post' ? { body: z.object({}).openapi('WatchRequest'), readOnly: [] } : {}),
    responses: { 204: { description: method === 'post' ? 'Watching' : 'Not watching' } },
    handler: ({ params, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          method === 'post'
            ? deps.commands.watchIssue(context, { issueId: params.id })
            : deps.commands.unwatchIssue(context, { issueId: params.id }),
        () => ({ status: 204 }),
      ),
  });

export const commentRoutes = (deps: ResourceDeps): RouteSpec[] => [
  createCommentRoute(deps),
  listCommentsRoute(deps),
  updateCommentRoute(deps),
  deleteCommentRoute(deps),
  watchRoute(deps, 'post'),
  watchRoute(deps, 'delete'),
];
