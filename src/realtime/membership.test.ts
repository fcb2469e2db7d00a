/**
 * A member removed while connected loses their project sockets in that organization (4003): announced through
 * the bus, or, when the announcement was lost (the bus had a gap), found by reading memberships after the gap.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { TestUser } from '../../test/support/api';
import { addMember, anOrganization } from '../../test/support/fixtures';
import { connect, removeMember, type Served, serve, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import type { Bus } from './bus/bus';
import { createInProcessBus } from './bus/in-process-bus';
import { CLOSE } from './protocol';

/** A bus that hears nothing the system publishes (as if every announcement were lost) and can signal a gap. */
const deafBus = () => {
  const inner = createInProcessBus();
  const gapListeners = new Set<() => void>();
  const bus: Bus = {
    publish: (messages) => inner.publish(messages),
    subscribe: (room, listener) => inner.subscribe(room, listener),
    subscribed: (room) => inner.subscribed(room),
    onGap(listener) {
      gapListeners.add(listener);
      return () => gapListeners.delete(listener);
    },
    close: () => inner.close(),
  };
  const signalGap = () => {
    for (const listener of gapListeners) listener();
  };
  return { bus, signalGap };
};

describe('membership and sockets', () => {
  const api = useTestApi();
  const served = useServedRooms(api);
  const acme = useFixture(() => anOrganization(api, 'Acme').withProject('P').build());

  const projectSocket = (s: Served, user: TestUser, project = acme.projects.P) =>
    connect(s.wsUrl(`/ws/projects/${project}/?token=${user.access}`));

  it('closes only the sockets of the organization the member was removed from', async () => {
    const member = await api.user('member');
    await addMember(api, acme.owner, acme.id, member.id);
    const other = await anOrganization(api, 'Elsewhere')
      .withMember('member', 'member', member)
      .withProject('P')
      .build();
    const [leaving, staying, personal] = [
      projectSocket(served, member),
      projectSocket(served, member, other.projects.P),
      connect(served.wsUrl(`/ws/notifications/?token=${member.access}`)),
    ];
    await Promise.all([leaving.opened, staying.opened, personal.opened]);
    await removeMember(api, acme.owner, acme.id, member.id);
    expect((await leaving.closed).code).toBe(CLOSE.notMember);
    await sleep(200);
    expect(staying.ws.readyState).toBe(WebSocket.OPEN);
    expect(personal.ws.readyState).toBe(WebSocket.OPEN);
    await Promise.all([staying.close(), personal.close()]);
  });

  it('closes the socket of a member whose removal was never announced at the next bus gap, and no other', async () => {
    const { bus, signalGap } = deafBus();
    const deaf = await serve(api, bus);
    try {
      const [member, kept] = [await api.user('member'), await api.user('kept')];
      await addMember(api, acme.owner, acme.id, member.id);
      await addMember(api, acme.owner, acme.id, kept.id);
      const [socket, keptSocket] = [projectSocket(deaf, member), projectSocket(deaf, kept)];
      await Promise.all([socket.opened, keptSocket.opened]);
      await removeMember(api, acme.owner, acme.id, member.id);
      await sleep(300);
      expect(socket.ws.readyState).toBe(WebSocket.OPEN); // no announcement reached this server, and none is polled
      signalGap();
      expect((await socket.closed).code).toBe(CLOSE.notMember);
      await sleep(100);
      expect(keptSocket.ws.readyState).toBe(WebSocket.OPEN);
      await keptSocket.close();
    } finally {
      await deaf.close();
    }
  });
});
