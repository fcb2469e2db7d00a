import type { Knex } from 'knex';
import { LABEL_NAME_MAX } from '../../domain/organization/labels';
import { labelAccess, listLabels } from '../../projections/labels/queries';
import { principal } from '../auth/authenticate';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { listRoute } from './reads';
import { atRevision, idParams, orNotFound, pageQuery, type ResourceDeps, runCommand } from './shared';

export const labelSchema = z
  .object({ id: z.uuid(), name: z.string(), color: z.string().openapi({ example: '#d73a4a' }) })
  .openapi('Label');
const name = z
  .string()
  .trim()
  .max(LABEL_NAME_MAX)
  .openapi({
    description: `1–${LABEL_NAME_MAX} characters after trimming; unique in the organization, whatever the case`,
  });
const color = z.string().max(20).openapi({ description: '#rrggbb', example: '#d73a4a' });
const createBody = z.object({ name, color }).openapi('CreateLabelRequest');
const updateBody = z.object({ name: name.optional(), color: color.optional() }).openapi('UpdateLabelRequest');
const LABEL_READ_ONLY = ['id'];

/** The label as the read models have it, for its viewer; 404 when it is gone or theirs to see no more. */
const labelOf = async (db: Knex, labelId: string, viewerId: string) =>
  orNotFound(await labelAccess(db, labelId, viewerId), 'label').label;

/**
 * The organization a label belongs to, which names the stream its commands run on. A label never moves, so the
 * read model answers it exactly once it shows the label; the command itself checks everything else on the
 * organization's stream (the caller's role, whether the label still exists).
 */
const organizationOfLabel = async (db: Knex, labelId: string, viewerId: string) =>
  orNotFound(await labelAccess(db, labelId, viewerId), 'label').organizationId;

const createLabelRoute = (deps: ResourceDeps) =>
  route({
    method: 'post',
    path: '/api/v1/organizations/{id}/labels/',
    summary: 'Create a label (owner, manager); 409 for a name the organization has',
    tag: 'labels',
    auth: true,
    params: idParams,
    body: createBody,
    readOnly: LABEL_READ_ONLY,
    responses: { 201: { description: 'Created', schema: labelSchema } },
    handler: ({ params, body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) => deps.commands.createLabel(context, { organizationId: params.id, ...body }),
        ({ labelId, revision }) => ({
          status: 201,
          location: `/api/v1/labels/${labelId}/`,
          body: atRevision(res, revision, () => labelOf(deps.db, labelId, principal(req).id)),
        }),
      ),
  });

const listLabelsRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/organizations/{id}/labels/',
    summary: "The organization's labels by name (members)",
    tag: 'labels',
    description: 'Labels',
    params: idParams,
    query: pageQuery,
    item: labelSchema,
    listName: 'LabelList',
    notFound: 'organization',
    list: ({ params, query, viewerId }) => listLabels(deps.db, params.id, viewerId, query),
  });

const updateLabelRoute = (deps: ResourceDeps) =>
  route({
    method: 'patch',
    path: '/api/v1/labels/{id}/',
    summary: 'Rename or recolour a label (owner, manager): every issue shows it at once',
    tag: 'labels',
    auth: true,
    params: idParams,
    body: updateBody,
    readOnly: LABEL_READ_ONLY,
    responses: { 200: { description: 'The label', schema: labelSchema } },
    async handler({ params, body, req, res }) {
      const organizationId = await organizationOfLabel(deps.db, params.id, principal(req).id);
      await runCommand(
        deps,
        { req, res },
        (context) => deps.commands.updateLabel(context, { organizationId, labelId: params.id, ...body }),
        ({ revision }) => ({
          status: 200,
          body: atRevision(res, revision, () => labelOf(deps.db, params.id, principal(req).id)),
        }),
      );
    },
  });

const deleteLabelRoute = (deps: ResourceDeps) =>
  route({
    method: 'delete',
    path: '/api/v1/labels/{id}/',
    summary: 'Delete a label (owner, manager): it leaves every issue at once, and each loses it by an event',
    tag: 'labels',
    auth: true,
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    async handler({ params, req, res }) {
      const organizationId = await organizationOfLabel(deps.db, params.id, principal(req).id);
      await runCommand(
        deps,
        { req, res },
        (context) => deps.commands.deleteLabel(context, { organizationId, labelId: params.id }),
        () => ({ status: 204 }),
      );
    },
  });

export const labelRoutes = (deps: ResourceDeps): RouteSpec[] => [
  createLabelRoute(deps),
  listLabelsRoute(deps),
  updateLabelRoute(deps),
  deleteLabelRoute(deps),
];
