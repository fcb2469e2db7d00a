import type { OrganizationEvent } from '../../domain';
import { encodePosition, type RecordedEvent } from '../../eventstore/port';
import type { Applied } from '../shared/events';
import { foldOrganizations, type OrganizationRecord } from './fold';
import { MEMBERSHIPS_ROOM, membershipMessages } from './membership-messages';

const org = 'o1';
const position = (revision: number) => encodePosition(1n, BigInt(revision + 1));

/** The organization's stream: created, u1 and u2 join, u1 leaves and comes back, u2 becomes a manager. */
const stream: Applied<OrganizationEvent>[] = (
  [
    { type: 'OrganizationCreated', data: { organizationId: org, name: 'Acme', ownerId: 'u0' } },
    { type: 'MemberAdded', data: { organizationId: org, userId: 'u1', role: 'member' } },
    { type: 'MemberAdded', data: { organizationId: org, userId: 'u2', role: 'member' } },
    { type: 'MemberRemoved', data: { organizationId: org, userId: 'u1', previousRole: 'member' } },
    { type: 'MemberAdded', data: { organizationId: org, userId: 'u1', role: 'member' } },
    {
      type: 'MemberRoleChanged',
      data: { organizationId: org, userId: 'u2', role: 'manager', previousRole: 'member' },
    },
  ] as OrganizationEvent[]
).map((event, revision) => ({
  event,
  recorded: {
    revision,
    position: position(revision),
    metadata: { occurredAt: '2025-01-01T00:00:00Z' },
  } as RecordedEvent,
}));

const messagesOf = (events: Applied<OrganizationEvent>[], loaded = new Map<string, OrganizationRecord>()) =>
  membershipMessages(events, loaded, foldOrganizations(loaded, events));

const stored = (revision: number) =>
  new Map([[org, { id: org, name: 'Acme', createdAt: '2025-01-01T00:00:00Z', memberCount: 2, revision }]]);

const ended = (userId: string, revision: number) => ({
  room: MEMBERSHIPS_ROOM,
  position: position(revision),
  message: { type: 'membership.ended', position: position(revision), organization_id: org, user_id: userId },
});

describe('membership messages', () => {
  it('announce each removal at its own position, even one undone later in the batch', () => {
    expect(messagesOf(stream)).toEqual([ended('u1', 3)]);
  });

  it('are the same however the stream is cut into batches', () => {
    expect([...messagesOf(stream.slice(0, 3)), ...messagesOf(stream.slice(3), stored(2))]).toEqual([
      ended('u1', 3),
    ]);
  });

  it('announce nothing for removals applied before (a replay), or of an organization never created', () => {
    expect(messagesOf(stream, stored(3))).toEqual([]);
    expect(messagesOf(stream.slice(1))).toEqual([]);
  });
});
