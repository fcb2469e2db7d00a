/**
 * The authorization matrix of the WebSocket routes, as src/api/authorization.test.ts is for HTTP: each route ×
 * (owner, manager, member, non-member, admin, anonymous) × (own, foreign organization), against API.md's close
 * codes. On `/ws/projects/{id}/`: members of the project's organization get its room (and its messages), anyone
 * else signed in 4003 (an admin is no member), an unknown project 4004, anonymous 4001. On `/ws/notifications/`:
 * anyone signed in gets their own notifications and never another user's (the foreign organization's owner's),
 * anonymous 4001. The token comes by each of its three ways in turn.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestUser } from '../../test/support/api';
import { createIssue, twoOrganizations } from '../../test/support/fixtures';
import { connect, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import { notificationMessage } from '../jobs/notifications/model';
import { recordNotifications } from '../jobs/notifications/record';
import { uuidv7 } from '../commands/ids';
import { CLOSE } from '../realtime/protocol';
import { recordFigures } from '../../test/support/figures';

type Actor = 'owner' | 'manager' | 'member' | 'outsider' | 'admin' | 'anonymous';
type Scope = 'own' | 'foreign';
type Via = 'query' | 'header' | 'subprotocol';

const ACTORS: readonly Actor[] = ['owner', 'manager', 'member', 'outsider', 'admin', 'anonymous'];
const VIAS: readonly Via[] = ['query', 'header', 'subprotocol'];
/** Every WebSocket route the server serves (docs/realtime.md), each a block of the matrix below. */
const ROUTES = ['/ws/projects/{id}/', '/ws/notifications/'] as const;

describe('authorization matrix over the WebSocket routes', () => {
  const api = useTestApi();
  const served = useServedRooms(api, { closeTimeoutMs: 500 });
  const world = useFixture(() => twoOrganizations(api));
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });

  const user = (actor: Actor): TestUser | null =>
    actor === 'anonymous'
      ? null
      : {
          owner: world.owner,
          manager: world.manager,
          member: world.member,
          outsider: world.outsider,
          admin: admin as TestUser,
        }[actor];

  /** Opens the route as the actor, with the token the given way. */
  const open = (path: string, caller: TestUser | null, via: Via) => {
    if (!caller) return connect(served.wsUrl(path));
    if (via === 'query') return connect(served.wsUrl(`${path}?token=${caller.access}`));
    if (via === 'header')
      return connect(served.wsUrl(path), { headers: { authorization: `Bearer ${caller.access}` } });
    return connect(served.wsUrl(path), { protocols: [`bearer.${caller.access}`] });
  };
  /** Records and publishes a notification for the user, as the notifications reaction does. */
  const notify = async (recipientId: string, message: string) => {
    const now = new Date();
    const [stored] = await api.knex.transaction((trx) =>
      recordNotifications(
        trx,
        [
          {
            recipientId,
            kind: 'issue.overdue',
            issueId: uuidv7(),
            projectId: null,
            organizationId: null,
            message,
            actorId: null,
            createdAt: now.toISOString(),
            reminderDate: now.toISOString().slice(0, 10),
          },
        ],
        { now },
      ),
    );
    await api.bus.publish([notificationMessage(stored!)]);
  };

  afterAll(() =>
    recordFigures('security-websocket', {
      'routes × roles × organizations': cases.length,
      'unknown project, per role': ACTORS.length - 1,
    }),
  );

  it('covers every WebSocket route', () => {
    expect([...ROUTES].sort()).toEqual(['/ws/notifications/', '/ws/projects/{id}/']);
  });

  const cases = ROUTES.flatMap((route) =>
    ACTORS.flatMap((actor, a) =>
      (['own', 'foreign'] as const).map((scope, s) => ({ route, actor, scope, via: VIAS[(a + s) % 3]! })),
    ),
  );
  const expected = (route: (typeof ROUTES)[number], actor: Actor, scope: Scope): number | 'open' => {
    if (actor === 'anonymous') return CLOSE.notAuthenticated;
    if (route === '/ws/notifications/') return 'open';
    if (scope === 'foreign' || actor === 'outsider' || actor === 'admin') return CLOSE.notMember;
    return 'open';
  };

  it.each(cases.map((c) => ({ ...c, outcome: expected(c.route, c.actor, c.scope) })))(
    '$route as $actor in the $scope organization (token by $via) → $outcome',
    async ({ route, actor, scope, via, outcome }) => {
      const caller = user(actor);
      if (route === '/ws/projects/{id}/') {
        const project = scope === 'own' ? world.project : world.foreignProject;
        const socket = open(`/ws/projects/${project}/`, caller, via);
        if (outcome !== 'open') {
          expect((await socket.closed).code).toBe(outcome);
          expect(socket.messages).toEqual([]);
          return;
        }
        await socket.opened;
        await sleep(50);
        // The room's messages reach a member; the other organization's never do.
        await createIssue(api, world.foreignOwner, world.foreignProject, { title: 'Elsewhere' });
        await createIssue(api, world.owner, world.project, { title: `For ${actor}` });
        const [message] = await socket.waitFor(1);
        expect(message).toMatchObject({
          type: 'issue.created',
          title: `For ${actor}`,
          project_id: world.project,
        });
        await sleep(100);
        expect(socket.messages).toHaveLength(1);
        await socket.close();
        return;
      }
      const socket = open('/ws/notifications/', caller, via);
      if (outcome !== 'open') {
        expect((await socket.closed).code).toBe(outcome);
        return;
      }
      await socket.opened;
      await sleep(50);
      // Another user's notification (the foreign organization's owner's, or the own organization's owner's) never
      // arrives; the caller's own does.
      const other = scope === 'foreign' ? world.foreignOwner : actor === 'owner' ? world.member : world.owner;
      await notify(other.id, `for ${other.username}`);
      await notify(caller!.id, `for ${caller!.username}`);
      const [message] = await socket.waitFor(1);
      expect(message).toMatchObject({
        type: 'notification',
        notification: { message: `for ${caller!.username}` },
      });
      await sleep(100);
      expect(socket.messages).toHaveLength(1);
      await socket.close();
    },
  );

  it.each(ACTORS.filter((a) => a !== 'anonymous'))(
    'closes /ws/projects/{unknown}/ for %s with 4004',
    async (actor) => {
      const socket = open(`/ws/projects/${uuidv7()}/`, user(actor), 'query');
      expect((await socket.closed).code).toBe(CLOSE.noSuchProject);
    },
  );
});
