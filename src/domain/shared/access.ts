import type { Role } from './decider';
import { NotFoundError } from './errors';

/**
 * What the command handler learned about the actor from the organization's membership.
 * `null` means the actor is not a member, so the object must look as if it did not exist.
 */
export interface MembershipContext {
  actorRole: Role | null;
}

/** The actor's role, or NotFoundError: a non-member never learns that the object exists. */
export const visibleTo = (context: MembershipContext, what: string): Role => {
  if (context.actorRole === null) throw new NotFoundError(`${what} not found`);
  return context.actorRole;
};

export const canManage = (role: Role): boolean => role === 'owner' || role === 'manager';
