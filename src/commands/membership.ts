import type { IssueContext } from '../domain/issue/commands';
import type { MembershipContext } from '../domain/shared/access';
import { organizationDecider } from '../domain/organization/decider';
import { organizationStream } from '../domain/organization/events';
import type { AggregateRunner, ContextReads } from './aggregate-runner';

/**
 * What the project and issue deciders need to know about people, read from the organization's own stream (not a
 * read model, so authorization never lags behind the projector): the actor's role, and whether a named assignee
 * is a member. No organization (an unknown project or issue) means nobody's role. Read to the stream's end every
 * time, from the runner's cache of folded organizations, so a command's cost does not grow with the
 * organization's history of membership changes; inside a command (`reads`), a cached organization is checked by
 * the append instead of read.
 */
export const membershipContext = async (
  runner: AggregateRunner,
  organizationId: string | null,
  actorId: string,
  assigneeId?: string | null,
  options: { labels?: boolean; reads?: ContextReads } = {},
): Promise<MembershipContext & Pick<IssueContext, 'assigneeIsMember' | 'labelIds'>> => {
  const organization =
    organizationId === null
      ? null
      : (await runner.current(organizationDecider, organizationStream(organizationId), options.reads)).state;
  const roleOf = (userId: string) => organization?.members.get(userId) ?? null;
  return {
    actorRole: roleOf(actorId),
    ...(typeof assigneeId === 'string' ? { assigneeIsMember: roleOf(assigneeId) !== null } : {}),
    // The organization's labels now, from the same exact read: what an issue may be given.
    ...(options.labels ? { labelIds: new Set(organization?.labels.keys() ?? []) } : {}),
  };
};
