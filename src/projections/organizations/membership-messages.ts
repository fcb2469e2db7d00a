import type { OrganizationEvent } from '../../domain';
import type { Position } from '../../eventstore/port';
import type { RoomMessage } from '../projection';
import type { Applied } from '../shared/events';
import type { OrganizationBatch, OrganizationRecord } from './fold';

/**
 * The control room where the organizations projection announces memberships that ended, so every WebSocket
 * server closes that user's sockets in that organization. No client can join it.
 */
export const MEMBERSHIPS_ROOM = '__memberships__';

/** A type, not an interface: a room message's body is a plain record. */
export type MembershipEnded = {
  type: 'membership.ended';
  /** The removal's position. */
  position: Position;
  organization_id: string;
  user_id: string;
};

/**
 * One message per removal the batch applied, at the removal's own position, so the messages are the same
 * however the log is cut into batches; none for a removal at or below its organization's stored revision
 * (applied before: a replay).
 */
export const membershipMessages = (
  events: readonly Applied<OrganizationEvent>[],
  before: ReadonlyMap<string, OrganizationRecord>,
  after: OrganizationBatch,
): RoomMessage[] =>
  events.flatMap(({ event, recorded }) => {
    if (event.type !== 'MemberRemoved') return [];
    const { organizationId, userId } = event.data;
    const applied =
      after.organizations.has(organizationId) &&
      recorded.revision > (before.get(organizationId)?.revision ?? -1);
    if (!applied) return [];
    const { position } = recorded;
    const message: MembershipEnded = {
      type: 'membership.ended',
      position,
      organization_id: organizationId,
      user_id: userId,
    };
    return [{ room: MEMBERSHIPS_ROOM, position, message }];
  });
