import type { Knex } from 'knex';
import { ORGANIZATION_NAME_MAX } from '../../domain/organization/decider';
import { ROLES } from '../../domain/shared/decider';
import {
  getOrganization,
  listMembers,
  listMemberships,
  listOrganizations,
} from '../../projections/organizations/queries';
import { organizationRevision } from '../../projections/revisions';
import { principal } from '../auth/authenticate';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import {
  membersPageThen,
  organizationAsOf,
  organizationThenView,
} from '../../projections/as-of/organization';
import { asOfParam, listRoute, readRoute } from './reads';
import { atRevision, idParams, orNotFound, pageQuery, type ResourceDeps, runCommand } from './shared';

const roleSchema = z.enum(ROLES);
const organizationSchema = z
  .object({ id: z.uuid(), name: z.string(), created_at: z.string(), role: roleSchema })
  .openapi('Organization');
const organizationDetail = organizationSchema
  .extend({ member_count: z.number().int() })
  .openapi('OrganizationDetail');
const memberSchema = z
  .object({
    user: z.object({ id: z.uuid(), username: z.string().nullable() }),
    role: roleSchema,
    joined_at: z.string(),
  })
  .openapi('Member');
const membershipSchema = z
  .object({ organization: z.uuid(), role: roleSchema, joined_at: z.string() })
  .openapi('Membership');
const nameBody = z
  .object({
    name: z
      .string()
      .trim()
      .max(ORGANIZATION_NAME_MAX)
      .openapi({ description: `1–${ORGANIZATION_NAME_MAX} characters after trimming` }),
  })
  .openapi('OrganizationRequest');
/** What answers carry that no request writes: accepted from a client round-tripping them, and ignored. */
const ORGANIZATION_READ_ONLY = ['id', 'created_at', 'role', 'member_count'];
const MEMBER_READ_ONLY = ['user', 'joined_at'];
const addMemberBody = z
  .object({
    user_id: z.uuid({ message: 'must be a UUID' }).optional(),
    username: z.string().min(1).max(150).optional(),
    role: roleSchema.default('member'),
  })
  .refine((b) => b.user_id !== undefined || b.username !== undefined, {
    message: 'user_id or username is required',
    path: ['user_id'],
  })
  .openapi('AddMemberRequest');
const roleBody = z.object({ role: roleSchema }).openapi('ChangeRoleRequest');
const memberParams = z.object({
  id: z.uuid({ message: 'must be a UUID' }),
  user_id: z.uuid({ message: 'must be a UUID' }),
});

const organizationOf = async (db: Knex, organizationId: string, viewerId: string) =>
  orNotFound(await getOrganization(db, organizationId, viewerId), 'organization');

/** Members are few per page; the one a command changed is found on its page of the list. */
const memberOf = async (db: Knex, organizationId: string, userId: string, viewerId: string) => {
  for (let cursor: string | null | undefined; ; ) {
    const page = orNotFound(
      await listMembers(db, organizationId, viewerId, { limit: 100, cursor }),
      'organization',
    );
    const found = page.results.find((m) => m.user.id === userId);
    if (found) return found;
    if (!page.nextCursor) throw new Error('member missing from the read model after the wait');
    cursor = page.nextCursor;
  }
};

const createOrganizationRoute = (deps: ResourceDeps) =>
  route({
    method: 'post',
    path: '/api/v1/organizations/',
    summary: 'Create an organization; the caller becomes its owner',
    tag: 'organizations',
    auth: true,
    body: nameBody,
    readOnly: ORGANIZATION_READ_ONLY,
    responses: { 201: { description: 'Created', schema: organizationSchema } },
    handler: ({ body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) => deps.commands.createOrganization(context, { name: body.name }),
        ({ organizationId, revision }) => ({
          status: 201,
          location: `/api/v1/organizations/${organizationId}/`,
          body: atRevision(res, revision, async () => {
            const { member_count: _, ...created } = await organizationOf(
              deps.db,
              organizationId,
              principal(req).id,
            );
            return created;
          }),
        }),
      ),
  });

const listOrganizationsRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/organizations/',
    summary: "The caller's organizations, each with the caller's role",
    tag: 'organizations',
    description: 'Organizations',
    query: pageQuery,
    item: organizationSchema,
    listName: 'OrganizationList',
    list: ({ query, viewerId }) => listOrganizations(deps.db, viewerId, query),
  });

const getOrganizationRoute = (deps: ResourceDeps) =>
  readRoute(deps, {
    path: '/api/v1/organizations/{id}/',
    summary: 'One organization',
    tag: 'organizations',
    description: 'The organization',
    schema: organizationDetail,
    read: (id, viewerId) => organizationOf(deps.db, id, viewerId),
    revision: (id) => organizationRevision(deps.db, id),
    asOf: async (id, viewerId, asOf) => {
      const then = await organizationAsOf(deps.db, deps.streams, id, viewerId, asOf);
      return then && { body: await organizationThenView(deps.db, then, viewerId), revision: then.revision };
    },
  });

const renameOrganizationRoute = (deps: ResourceDeps) =>
  route({
    method: 'patch',
    path: '/api/v1/organizations/{id}/',
    summary: 'Rename an organization (owner)',
    tag: 'organizations',
    auth: true,
    params: idParams,
    body: nameBody,
    readOnly: ORGANIZATION_READ_ONLY,
    responses: { 200: { description: 'Renamed', schema: organizationDetail } },
    handler: ({ params, body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.renameOrganization(context, { organizationId: params.id, name: body.name }),
        ({ revision }) => ({
          status: 200,
          body: atRevision(res, revision, () => organizationOf(deps.db, params.id, principal(req).id)),
        }),
      ),
  });

const listMembersRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/organizations/{id}/members/',
    summary: "The organization's members; with as_of, the members and roles it had then (from the log)",
    tag: 'organizations',
    description: 'Members',
    params: idParams,
    query: pageQuery.extend({ as_of: asOfParam }),
    item: memberSchema,
    listName: 'MemberList',
    notFound: 'organization',
    async list({ params, query, viewerId }) {
      if (query.as_of === undefined) return listMembers(deps.db, params.id, viewerId, query);
      const then = await organizationAsOf(deps.db, deps.streams, params.id, viewerId, query.as_of);
      return then && membersPageThen(deps.db, then, query);
    },
  });

// Members live in the organization's stream: its revision is what If-Match compares, so it is their ETag.

const addMemberRoute = (deps: ResourceDeps) =>
  route({
    method: 'post',
    path: '/api/v1/organizations/{id}/members/',
    summary: 'Add a member (owner; a manager may add members only)',
    tag: 'organizations',
    auth: true,
    params: idParams,
    body: addMemberBody,
    readOnly: MEMBER_READ_ONLY,
    responses: {
      201: { description: 'Added', schema: memberSchema },
      409: { description: 'Already a member' },
    },
    handler: ({ params, body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.addMember(context, {
            organizationId: params.id,
            userId: body.user_id,
            username: body.username,
            role: body.role,
          }),
        ({ userId, revision }) => ({
          status: 201,
          location: `/api/v1/organizations/${params.id}/members/${userId}/`,
          body: atRevision(res, revision, () => memberOf(deps.db, params.id, userId, principal(req).id)),
        }),
      ),
  });

const changeMemberRoleRoute = (deps: ResourceDeps) =>
  route({
    method: 'patch',
    path: '/api/v1/organizations/{id}/members/{user_id}/',
    summary: "Change a member's role (owner)",
    tag: 'organizations',
    auth: true,
    params: memberParams,
    body: roleBody,
    readOnly: MEMBER_READ_ONLY,
    responses: { 200: { description: 'Changed', schema: memberSchema } },
    handler: ({ params, body, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.changeMemberRole(context, {
            organizationId: params.id,
            userId: params.user_id,
            role: body.role,
          }),
        ({ revision }) => ({
          status: 200,
          body: atRevision(res, revision, () =>
            memberOf(deps.db, params.id, params.user_id, principal(req).id),
          ),
        }),
      ),
  });

const removeMemberRoute = (deps: ResourceDeps) =>
  route({
    method: 'delete',
    path: '/api/v1/organizations/{id}/members/{user_id}/',
    summary:
      'Remove a member (owner, or the member themself); their open assignments are released right after, by the member-removal process',
    tag: 'organizations',
    auth: true,
    params: memberParams,
    responses: { 204: { description: 'Removed' } },
    // The answer comes once the removal is recorded; the `member-removals` job, woken by the reaction to it,
    // releases the assignments (and finishes after a crash). docs/jobs.md.
    handler: ({ params, req, res }) =>
      runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.removeMember(context, { organizationId: params.id, userId: params.user_id }),
        () => ({ status: 204 }),
      ),
  });

const listMembershipsRoute = (deps: ResourceDeps) =>
  listRoute(deps, {
    path: '/api/v1/memberships/',
    summary: "The caller's memberships",
    tag: 'organizations',
    description: 'Memberships',
    query: pageQuery,
    item: membershipSchema,
    listName: 'MembershipList',
    list: ({ query, viewerId }) => listMemberships(deps.db, viewerId, query),
  });

export const organizationRoutes = (deps: ResourceDeps): RouteSpec[] => [
  createOrganizationRoute(deps),
  listOrganizationsRoute(deps),
  getOrganizationRoute(deps),
  renameOrganizationRoute(deps),
  listMembersRoute(deps),
  addMemberRoute(deps),
  changeMemberRoleRoute(deps),
  removeMemberRoute(deps),
  listMembershipsRoute(deps),
];
