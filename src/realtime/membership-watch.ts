import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { MEMBERSHIPS_ROOM, type MembershipEnded } from '../projections/organizations/membership-messages';
import { currentMemberships } from '../projections/organizations/queries';
import type { Bus } from './bus/bus';
import type { RealtimeLogger } from './options';
import type { OpenSockets } from './open-sockets';
import { CLOSE, parseControlMessage } from './protocol';
import type { SocketSession } from './socket-session';

/** A check of memberships against the read model that failed (the database is down) is tried again after this. */
const RETRY_MS = 1000;

export interface MembershipWatch {
  /** Resolves once removals are heard: a project's access read after it cannot miss one. */
  ready(): Promise<void>;
  /**
   * For a project socket that now knows its organization: if a removal of its user was announced (or the bus
   * had a gap) while its access was being read, reads its membership again and closes it with 4003 if it ended.
   */
  confirm(session: SocketSession): Promise<void>;
  /** The bus may have missed removals: reads the memberships of every project socket once. */
  audit(): void;
  stop(): void;
}

/** How `currentMemberships` names a membership. */
const membershipKey = (session: SocketSession) => `${session.organizationId}|${session.userId}`;

const closeRemoved = (session: SocketSession) => session.close(CLOSE.notMember, 'no longer a member');

const stillConnecting = (session: SocketSession) =>
  session.route === 'projects' && session.organizationId === undefined && !session.closing;

/**
 * Removed members' project sockets close with 4003. The organizations projection announces each membership
 * that ends on `__memberships__`; after a bus gap, when announcements may have been lost, the memberships of
 * open sockets are read once from the read model instead.
 */
export const watchMemberships = (deps: {
  bus: Bus;
  db: Knex;
  sockets: OpenSockets;
  logger?: RealtimeLogger;
}): MembershipWatch => {
  const { bus, db, sockets, logger } = deps;
  /** Project sockets that heard of a removal (or a gap) before they knew their organization. */
  const unconfirmed = new WeakSet<SocketSession>();
  const stopped = new AbortController();
  let auditPending = false;
  let auditing = false;

  /** Closes the project sockets among `sessions` whose user is no longer a member of their organization. */
  const closeNonMembers = async (sessions: readonly SocketSession[]): Promise<void> => {
    const inProjects = sessions.filter((s) => s.organizationId !== undefined && !s.closing);
    if (inProjects.length === 0) return;
    const pairs = new Map(
      inProjects.map((s) => [membershipKey(s), { organizationId: s.organizationId!, userId: s.userId }]),
    );
    const members = await currentMemberships(db, [...pairs.values()]);
    for (const session of inProjects) if (!members.has(membershipKey(session))) closeRemoved(session);
  };

  const unsubscribe = bus.subscribe(MEMBERSHIPS_ROOM, (message) => {
    const ended = parseControlMessage<MembershipEnded>(message.payload);
    if (ended?.type !== 'membership.ended') return;
    for (const session of sockets.ofUser(ended.user_id)) {
      if (session.organizationId === ended.organization_id) closeRemoved(session);
      else if (stillConnecting(session)) unconfirmed.add(session);
    }
  });

  /** Audits until none is pending; one asked for while another runs is run after it. */
  const runAudits = async (): Promise<void> => {
    auditing = true;
    try {
      while (auditPending && !stopped.signal.aborted) {
        auditPending = false;
        try {
          await closeNonMembers(sockets.all());
        } catch (error) {
          logger?.warn({ err: error }, 'membership check failed');
          auditPending = true;
          await sleep(RETRY_MS, undefined, { signal: stopped.signal }).catch(() => undefined);
        }
      }
    } finally {
      auditing = false;
    }
  };

  return {
    ready: () => bus.subscribed(MEMBERSHIPS_ROOM),
    async confirm(session) {
      if (unconfirmed.delete(session)) await closeNonMembers([session]);
    },
    audit() {
      for (const session of sockets.all()) if (stillConnecting(session)) unconfirmed.add(session);
      auditPending = true;
      if (!auditing) void runAudits();
    },
    stop() {
      stopped.abort();
      unsubscribe();
    },
  };
};
