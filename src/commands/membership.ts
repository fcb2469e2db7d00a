import type { IssueContext } from '../domain/issue/commands';
import type { MembershipContext } from '../domain/shared/access';
import { organizationDecider } from '../domain/organization/decider';
import { organizationStream } from '../domain/organization/events';
import type { AggregateRunner } from './aggregate-runner';

/**
 * What the project and issue deciders need to know about people, read from the organization's own stream (not a
 * read model, so authorization never lags behind the projector): the actor's role, and whether a named assignee
 * is a member. No organization (an unknown project or issue) means nobody's role.
 */
export const membershipContext = async (
  runner: AggregateRunner,
  organizationId: string | null,
  actorId: string,
  assigneeId?: string | null,
): Promise<MembershipContext & Pick<IssueContext, 'assigneeIsMember'>> => {
  const organization =
    organizationId === null
      ? null
      : (await runner.load(organizationDecider, organizationStream(organizationId))).state;
  const roleOf = (userId: string) => organization?.members.get(userId) ?? null;
  return {
    actorRole: roleOf(actorId),
    ...(typeof assigneeId === 'string' ? { assigneeIsMember: roleOf(assigneeId) !== null } : {}),
  };
};
