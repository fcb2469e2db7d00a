import type { Knex } from 'knex';
import { principal } from '../auth/authenticate';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX } from '../../domain/project/decider';
import { getProject, listProjects } from '../../projections/projects/queries';
import { projectRevision } from '../../projections/revisions';
import { projectAsOf } from '../../projections/as-of/project';
import { projectIssuesAsOf } from '../../projections/as-of/project-issues';
import { listIssues } from '../../projections/issues/queries';
import { issueSchema } from './issues';
import { asOfParam, listRoute, readRoute } from './reads';
import { atRevision, idParams, orNotFound, pageQuery, type ResourceDeps, runCommand } from './shared';

export const projectSchema = z
  .object({
    id: z.uuid(),
    organization: z.uuid(),
    name: z.string(),
    description: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    archived: z.boolean(),
    key: z.string().nullable().openapi({
      description:
        "2–10 capital letters and digits, unique in the organization; its issues' keys are KEY-<number>",
      example: 'WEB',
    }),
  })
  .openapi('Project');
const name = z
  .string()
  .trim()
  .max(PROJECT_NAME_MAX)
  .openapi({ description: `1–${PROJECT_NAME_MAX} characters after trimming` });
const description = z.string().max(PROJECT_DESCRIPTION_MAX);
const key = z.string().max(20);
const createBody = z
  .object({
    organization: z.uuid({ message: 'must be a UUID' }),
    name,
    description: description.optional(),
    key: key.optional().openapi({
      description:
        '2–10 letters and digits (kept in capitals), unique in the organization (409 when taken); derived from the name when absent',
    }),
  })
  .openapi('CreateProjectRequest');
const updateBody = z
  .object({
    name: name.optional(),
    description: description.optional(),
    key: key.nullable().optional().openapi({
      description: 'Fixed at creation: the current key is accepted (round-tripping), another is a 400',
    }),
  })
  .openapi('UpdateProjectRequest');
/** What a project answer carries that no request writes: accepted from a client round-tripping it, and ignored. */
const PROJECT_READ_ONLY = ['id', 'created_at', 'updated_at', 'archived'];

const projectOf = async (db: Knex, projectId: string, viewerId: string) =>
  orNotFound(await getProject(db, projectId, viewerId), 'project');

const createProjectRoute = (deps: ResourceDeps) =>
  route({
    method: 'post',
    path: '/api/v1/projects/',
    summary: 'Create a project (owner, manager)',
    tag: 'projects',
    auth: true,
    body: createBody,
    readOnly: PROJECT_READ_ONLY,
    responses: { 201: { description: 'Created', schema: projectSchema } },
    handler: ({ body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.createProject(context, {
            organizationId: body.organization,
            name: body.name,
            description: body.description,
            key: body.key,
          }),
        ({ projectId, revision }) => ({
          status: 201,
          location: `/api/v1/projects/${projectId}/`,
          body: atRevision(res, revision, () => projectOf(deps.db, projectId, principal(req).id)),
        }),
      ),
  });

const listProjectsRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/projects/',
    summary: "Projects of the caller's organizations (archived ones left out)",
    tag: 'projects',
    description: 'Projects',
    query: pageQuery.extend({ organization: z.uuid({ message: 'must be a UUID' }).optional() }),
    item: projectSchema,
    listName: 'ProjectList',
    list: ({ query, viewerId }) =>
      listProjects(deps.db, viewerId, { ...query, organizationId: query.organization }),
  });

const getProjectRoute = (deps: ResourceDeps) =>
  readRoute(deps, {
    path: '/api/v1/projects/{id}/',
    summary: 'One project',
    tag: 'projects',
    description: 'The project',
    schema: projectSchema,
    read: (id, viewerId) => projectOf(deps.db, id, viewerId),
    revision: (id) => projectRevision(deps.db, id),
    asOf: async (id, viewerId, asOf) => {
      const then = await projectAsOf(deps.db, deps.streams, id, viewerId, asOf);
      return then && { body: then.project, revision: then.revision };
    },
  });

const projectIssuesRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/projects/{id}/issues/',
    summary: "The project's issues, newest first; with as_of, as they were then (built from the log)",
    tag: 'projects',
    description: 'Issues (422 when as_of would replay more history than one request may)',
    params: idParams,
    query: pageQuery.extend({ as_of: asOfParam }),
    item: issueSchema,
    listName: 'ProjectIssueList',
    notFound: 'project',
    async list({ params, query, viewerId }) {
      if (query.as_of !== undefined)
        return projectIssuesAsOf(
          deps.db,
          deps.streams,
          params.id,
          viewerId,
          query.as_of,
          query,
          deps.asOfEventBound,
        );
      if ((await getProject(deps.db, params.id, viewerId)) === null) return null;
      return listIssues(deps.db, viewerId, { project: params.id, limit: query.limit, cursor: query.cursor });
    },
  });

const updateProjectRoute = (deps: ResourceDeps) =>
  route({
    method: 'patch',
    path: '/api/v1/projects/{id}/',
    summary: 'Update a project (owner, manager)',
    tag: 'projects',
    auth: true,
    params: idParams,
    body: updateBody,
    readOnly: [...PROJECT_READ_ONLY, 'organization'],
    responses: { 200: { description: 'Updated', schema: projectSchema } },
    handler: ({ params, body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.updateProject(context, {
            projectId: params.id,
            name: body.name,
            description: body.description,
            ...(typeof body.key === 'string' ? { key: body.key } : {}),
          }),
        ({ revision }) => ({
          status: 200,
          body: atRevision(res, revision, () => projectOf(deps.db, params.id, principal(req).id)),
        }),
      ),
  });

const archiveProjectRoute = (deps: ResourceDeps) =>
  route({
    method: 'delete',
    path: '/api/v1/projects/{id}/',
    summary: 'Archive a project (owner, manager): it stays in history, leaves lists, takes no new issues',
    tag: 'projects',
    auth: true,
    params: idParams,
    responses: { 204: { description: 'Archived' } },
    handler: ({ params, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) => deps.commands.archiveProject(context, { projectId: params.id }),
        () => ({ status: 204 }),
      ),
  });

export const projectRoutes = (deps: ResourceDeps): RouteSpec[] => [
  createProjectRoute(deps),
  listProjectsRoute(deps),
  getProjectRoute(deps),
  projectIssuesRoute(deps),
  updateProjectRoute(deps),
  archiveProjectRoute(deps),
];
