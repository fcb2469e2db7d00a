import { principal } from '../auth/authenticate';
import { respondToCommand } from '../command-response';
import { commandContext, etag } from '../context';
import { z } from '../openapi';
import { type RouteSpec, route } from '../routing';
import { ORGANIZATION_NAME_MAX } from '../../domain/organization/decider';
import { ROLES } from '../../domain/shared/decider';
import {
  getOrganization,
  listMembers,
  listMemberships,
  listOrganizations,
} from '../../projections/organizations/queries';
import { openAssignments, organizationRevision } from '../../projections/revisions';
import { type ResourceDeps, idParams, listBody, listOf, minPosition, orNotFound, pageQuery } from './shared';

const roleSchema = z.enum(ROLES as ['owner', 'manager', 'member']);
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
      .openapi({ description: '1–255 characters after trimming' }),
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

export const organizationRoutes = (deps: ResourceDeps): RouteSpec[] => {
  const waitForMin = minPosition(deps);
  const detail = async (organizationId: string, viewerId: string) =>
    orNotFound(await getOrganization(deps.db, organizationId, viewerId), 'organization');
  const member = async (organizationId: string, userId: string, viewerId: string) => {
    // Members are few per page; find the one we changed on its page of the list.
    for (let cursor: string | null | undefined; ; ) {
      const page = orNotFound(
        await listMembers(deps.db, organizationId, viewerId, { limit: 100, cursor }),
        'organization',
      );
      const found = page.results.find((m) => m.user.id === userId);
      if (found) return found;
      if (!page.nextCursor) throw new Error('member missing from the read model after the wait');
      cursor = page.nextCursor;
    }
  };

  return [
    route({
      method: 'post',
      path: '/api/v1/organizations/',
      summary: 'Create an organization; the caller becomes its owner',
      tag: 'organizations',
      auth: true,
      body: nameBody,
      readOnly: ORGANIZATION_READ_ONLY,
      responses: { 201: { description: 'Created', schema: organizationSchema } },
      async handler({ body, req, res }) {
        const result = await deps.commands.createOrganization(commandContext(req, res), { name: body.name });
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 201,
          location: `/api/v1/organizations/${result.organizationId}/`,
          body: async () => {
            const { member_count: _, ...org } = await detail(result.organizationId, principal(req).id);
            res.setHeader('ETag', etag(result.revision));
            return org;
          },
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/organizations/',
      summary: "The caller's organizations, each with the caller's role",
      tag: 'organizations',
      auth: true,
      query: pageQuery,
      before: [waitForMin],
      responses: {
        200: { description: 'Organizations', schema: listOf(organizationSchema, 'OrganizationList') },
      },
      async handler({ query, req, res }) {
        res.json(listBody(req, await listOrganizations(deps.db, principal(req).id, query)));
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/organizations/{id}/',
      summary: 'One organization',
      tag: 'organizations',
      auth: true,
      params: idParams,
      query: z.object({ min_position: z.string().optional() }),
      before: [waitForMin],
      responses: { 200: { description: 'The organization', schema: organizationDetail } },
      async handler({ params, req, res }) {
        const org = await detail(params.id, principal(req).id);
        const revision = await organizationRevision(deps.db, params.id);
        if (revision !== null) res.setHeader('ETag', etag(revision));
        res.json(org);
      },
    }),
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
      async handler({ params, body, req, res }) {
        const result = await deps.commands.renameOrganization(commandContext(req, res), params.id, body.name);
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 200,
          body: async () => {
            res.setHeader('ETag', etag(result.revision));
            return detail(params.id, principal(req).id);
          },
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/organizations/{id}/members/',
      summary: "The organization's members",
      tag: 'organizations',
      auth: true,
      params: idParams,
      query: pageQuery,
      before: [waitForMin],
      responses: { 200: { description: 'Members', schema: listOf(memberSchema, 'MemberList') } },
      async handler({ params, query, req, res }) {
        const page = orNotFound(
          await listMembers(deps.db, params.id, principal(req).id, query),
          'organization',
        );
        res.json(listBody(req, page));
      },
    }),
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
      async handler({ params, body, req, res }) {
        const result = await deps.commands.addMember(commandContext(req, res), params.id, {
          userId: body.user_id,
          username: body.username,
          role: body.role,
        });
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 201,
          location: `/api/v1/organizations/${params.id}/members/${result.userId}/`,
          body: async () => {
            // Members live in the organization's stream: its revision is what If-Match compares.
            res.setHeader('ETag', etag(result.revision));
            return member(params.id, result.userId, principal(req).id);
          },
        });
      },
    }),
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
      async handler({ params, body, req, res }) {
        const result = await deps.commands.changeMemberRole(
          commandContext(req, res),
          params.id,
          params.user_id,
          body.role,
        );
        await respondToCommand(deps.responses, req, res, {
          position: result.position,
          status: 200,
          body: async () => {
            // Members live in the organization's stream: its revision is what If-Match compares.
            res.setHeader('ETag', etag(result.revision));
            return member(params.id, params.user_id, principal(req).id);
          },
        });
      },
    }),
    route({
      method: 'delete',
      path: '/api/v1/organizations/{id}/members/{user_id}/',
      summary: 'Remove a member (owner, or the member themself); their open assignments are released',
      tag: 'organizations',
      auth: true,
      params: memberParams,
      responses: { 204: { description: 'Removed' } },
      async handler({ params, req, res }) {
        const context = commandContext(req, res);
        const removed = await deps.commands.removeMember(context, params.id, params.user_id);
        let position = removed.position;
        if (removed.position !== null) {
          // Every assignment acknowledged before the removal is below its position.
          await deps.responses.waiter.waitFor(removed.position, deps.responses.timeoutMs);
          const released = await openAssignments(deps.db, params.id, params.user_id);
          for (const issueId of released) {
            const result = await deps.commands.releaseAssignment(
              {
                actorId: context.actorId,
                correlationId: context.correlationId,
                causationId: context.commandId,
              },
              issueId,
              params.user_id,
            );
            if (result.position && (!position || result.position > position)) position = result.position;
          }
        }
        await respondToCommand(deps.responses, req, res, { position, status: 204 });
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/memberships/',
      summary: "The caller's memberships",
      tag: 'organizations',
      auth: true,
      query: pageQuery,
      before: [waitForMin],
      responses: { 200: { description: 'Memberships', schema: listOf(membershipSchema, 'MembershipList') } },
      async handler({ query, req, res }) {
        res.json(listBody(req, await listMemberships(deps.db, principal(req).id, query)));
      },
    }),
  ];
};
