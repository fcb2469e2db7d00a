/**
 * `/ws/notifications/`: a notification reaches its user's socket once its reaction committed; `since` resumes
 * from the notifications table; the user's room and the broadcasts each keep their own position, so interleaving
 * them loses nothing; a push that never came is filled in from the table before the next one goes out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestUser } from '../../test/support/api';
import { addMember, anOrganization, createIssue } from '../../test/support/fixtures';
import { notificationsOf } from '../../test/support/jobs';
import { connect, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import { recordNotifications } from '../jobs/notifications/record';

describe('notifications on /ws/notifications/', () => {
  const api = useTestApi();
  const served = useServedRooms(api);
  const team = useFixture(() =>
    anOrganization(api, 'Sockets').withMember('alice').withProject('Live').build(),
  );

  /** A new member of the team. */
  const member = async (name: string): Promise<TestUser> => {
    const user = await api.user(name);
    await addMember(api, team.owner, team.id, user.id);
    return user;
  };
  const socketOf = (user: TestUser, query = '') =>
    connect(served.wsUrl(`/ws/notifications/?token=${user.access}${query}`));
  /** An issue the owner creates for the user: one `issue.assigned` notification for them. */
  const assign = (user: TestUser, title: string) =>
    createIssue(api, team.owner, team.projects.Live, { title, assigned_to_id: user.id });
  const titles = (messages: Record<string, unknown>[]) =>
    messages.map((m) =>
      m.type === 'notification'
        ? /“(.*)”/.exec((m.notification as { message: string }).message)?.[1]
        : `broadcast: ${m.message as string}`,
    );
  const broadcast = (position: string, message: string) =>
    api.bus.publish([{ room: 'broadcast', position, message: { type: 'broadcast', position, message } }]);

  it('pushes a notification to its user once its reaction committed, as REST lists it', async () => {
    const user = await member('pushed');
    const socket = socketOf(user);
    await socket.opened;
    await sleep(100);
    const issue = await assign(user, 'Pushed');
    const [message] = await socket.waitFor(1);
    const [listed] = await notificationsOf(api, user, { position: issue.position });
    expect(message).toEqual({
      type: 'notification',
      position: '0000000000000001',
      occurred_at: listed!.created_at,
      actor_id: team.owner.id,
      notification: listed,
    });
    await sleep(100);
    expect(socket.messages).toHaveLength(1);
    await socket.close();
  });

  it('resumes after since from the notifications table, then continues live, with nothing twice', async () => {
    const user = await member('resumer');
    // Recorded before the first socket opens (else, on a slow machine, it arrives on that socket live).
    await notificationsOf(api, user, { position: (await assign(user, 'Seen')).position });
    const first = socketOf(user);
    await first.opened;
    await sleep(50);
    await assign(user, 'Seen live');
    const [seen] = await first.waitFor(1);
    await first.close();
    for (const title of ['Missed 1', 'Missed 2', 'Missed 3']) await assign(user, title);

    const socket = socketOf(user, `&since=${seen!.position as string}`);
    await socket.waitFor(3);
    await assign(user, 'Live after');
    await socket.waitFor(4);
    await sleep(200);
    expect(titles(socket.messages)).toEqual(['Missed 1', 'Missed 2', 'Missed 3', 'Live after']);
    const positions = socket.messages.map((m) => m.position as string);
    expect(positions).toEqual([
      '0000000000000003',
      '0000000000000004',
      '0000000000000005',
      '0000000000000006',
    ]);
    await socket.close();
  });

  it('keeps a position per room: notifications and broadcasts interleaved all arrive', async () => {
    const user = await member('interleaved');
    const socket = socketOf(user);
    await socket.opened;
    await sleep(100);
    // Broadcasts carry log positions, far above any notification number: one shared position would drop the rest.
    await broadcast('00000000000fffff-0000000000000001', 'first');
    await socket.waitFor(1);
    await assign(user, 'Between');
    await socket.waitFor(2);
    await broadcast('00000000000fffff-0000000000000002', 'second');
    await socket.waitFor(3);
    await assign(user, 'Last');
    await socket.waitFor(4);
    await sleep(100);
    expect(titles(socket.messages)).toEqual(['broadcast: first', 'Between', 'broadcast: second', 'Last']);
    await socket.close();
  });

  it('sends a notification whose push never came before the next one', async () => {
    const user = await member('gap');
    const socket = socketOf(user);
    await socket.opened;
    await sleep(100);
    // Recorded, but its push lost (as when the bus drops it, or a reminder run's publish comes after the next one).
    await api.knex.transaction((trx) =>
      recordNotifications(
        trx,
        [
          {
            recipientId: user.id,
            kind: 'issue.overdue',
            issueId: null,
            projectId: null,
            organizationId: team.id,
            message: '“Lost” was due on 2030-01-01 and is not done yet',
            actorId: null,
            createdAt: new Date().toISOString(),
            reminderDate: '2030-01-02',
          },
        ],
        { now: new Date() },
      ),
    );
    await assign(user, 'Next');
    await socket.waitFor(2);
    await sleep(100);
    expect(titles(socket.messages)).toEqual(['Lost', 'Next']);
    expect(socket.messages.map((m) => m.position)).toEqual(['0000000000000001', '0000000000000002']);
    await socket.close();
  });

  it('answers a since that is no notification position with resync, then continues live', async () => {
    const user = await member('resync');
    // Recorded before the socket opens (else, on a slow machine, its push arrives on that socket live).
    await notificationsOf(api, user, { position: (await assign(user, 'Before')).position });
    const socket = socketOf(user, '&since=0000000000000001-0000000000000000');
    const [message] = await socket.waitFor(1);
    expect(message).toEqual({ type: 'resync' });
    await sleep(50);
    await assign(user, 'After');
    await socket.waitFor(2);
    expect(titles(socket.messages.slice(1))).toEqual(['After']);
    await socket.close();
  });

  it("never sends another user's notifications", async () => {
    const [one, other] = await Promise.all([member('one'), member('other')]);
    const socket = socketOf(one);
    await socket.opened;
    await sleep(100);
    await assign(other, 'Not yours');
    await assign(one, 'Yours');
    await socket.waitFor(1);
    await sleep(150);
    expect(titles(socket.messages)).toEqual(['Yours']);
    await socket.close();
  });
});
