import { principal } from '../auth/authenticate';
import { respondToCommand } from '../command-response';
import { commandContext, etag } from '../context';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX } from '../../domain/project/decider';
import { getProject, listProjects } from '../../projections/projects/queries';
import { projectRevision } from '../../projections/revisions';
import { type ResourceDeps, idParams, listBody, listOf, minPosition, orNotFound, pageQuery } from './shared';

export const projectSchema = z
  .object({
    id: z.uuid(),
    organization: z.uuid(),
    name: z.string(),
    description: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    archived: z.boolean(),
  })
  .openapi('Project');
const name = z
  .string()
  .trim()
  .max(PROJECT_NAME_MAX)
  .openapi({ description: '1–255 characters after trimming' });
const description = z.string().max(PROJECT_DESCRIPTION_MAX);
const createBody = z
  .object({ organization: z.uuid({ message: 'must be a UUID' }), name, description: description.optional() })
  .openapi('CreateProjectRequest');
const updateBody = z
  .object({ name: name.optional(), description: description.optional() })
  .openapi('UpdateProjectRequest');
/** What a project answer carries that no request writes: accepted from a client round-tripping it, and ignored. */
const PROJECT_READ_ONLY = ['id', 'created_at', 'updated_at', 'archived'];

export const projectRoutes = (deps: ResourceDeps): RouteSpec[] => {
  const waitForMin = minPosition(deps);
  const read = async (projectId: string, viewerId: string) =>
    orNotFound(await getProject(deps.db, projectId, viewerId), 'project');

  return [
    route({
      method: 'post',
      path: '/api/v1/projects/',
      summary: 'Create a project (owner, manager)',
      tag: 'projects',
      auth: true,
      body: createBody,
      readOnly: PROJECT_READ_ONLY,
      responses: { 201: { description: 'Created', schema: projectSchema } },
      async handler({ body, req, res }) {
        const result = await deps.commands.createProject(commandContext(req, res), {
          organizationId: body.organization,
          name: body.name,
          description: body.description,
        });
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 201,
          location: `/api/v1/projects/${result.projectId}/`,
          body: async () => {
            res.setHeader('ETag', etag(result.revision));
            return read(result.projectId, principal(req).id);
          },
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/projects/',
      summary: "Projects of the caller's organizations (archived ones left out)",
      tag: 'projects',
      auth: true,
      query: pageQuery.extend({ organization: z.uuid({ message: 'must be a UUID' }).optional() }),
      before: [waitForMin],
      responses: { 200: { description: 'Projects', schema: listOf(projectSchema, 'ProjectList') } },
      async handler({ query, req, res }) {
        const page = await listProjects(deps.db, principal(req).id, {
          ...query,
          organizationId: query.organization,
        });
        res.json(listBody(req, page));
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/projects/{id}/',
      summary: 'One project',
      tag: 'projects',
      auth: true,
      params: idParams,
      query: z.object({ min_position: z.string().optional() }),
      before: [waitForMin],
      responses: { 200: { description: 'The project', schema: projectSchema } },
      async handler({ params, req, res }) {
        const project = await read(params.id, principal(req).id);
        const revision = await projectRevision(deps.db, params.id);
        if (revision !== null) res.setHeader('ETag', etag(revision));
        res.json(project);
      },
    }),
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
      async handler({ params, body, req, res }) {
        const result = await deps.commands.updateProject(commandContext(req, res), params.id, body);
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 200,
          body: async () => {
            res.setHeader('ETag', etag(result.revision));
            return read(params.id, principal(req).id);
          },
        });
      },
    }),
    route({
      method: 'delete',
      path: '/api/v1/projects/{id}/',
      summary: 'Archive a project (owner, manager): it stays in history, leaves lists, takes no new issues',
      tag: 'projects',
      auth: true,
      params: idParams,
      responses: { 204: { description: 'Archived' } },
      async handler({ params, req, res }) {
        const result = await deps.commands.archiveProject(commandContext(req, res), params.id);
        await respondToCommand(deps.responses, req, res, { position: result.position, status: 204 });
      },
    }),
  ];
};
