import { organizationDecider } from '../domain/organization/decider';
import { organizationStream } from '../domain/organization/events';
import type { Role } from '../domain/shared/decider';
import type { CommandBus } from './handle';

/** What the project and issue deciders need to know about the actor, read from the organization's own stream. */
export interface Membership {
  exists: boolean;
  roleOf(userId: string): Role | null;
}

export const loadMembership = async (bus: CommandBus, organizationId: string): Promise<Membership> => {
  const { state } = await bus.load(organizationDecider, organizationStream(organizationId));
  return { exists: state.exists, roleOf: (userId) => state.members.get(userId) ?? null };
};
