/**
 * The whole path of one notification, end to end against real PostgreSQL, Redis and an SMTP server: an assignment
 * whose reaction crashed before its commit (again and again, until that reactor is gone and another takes over, as
 * after a restart), and whose email job then runs several times, some at once, yields exactly one notification
 * over REST, one message on the socket and one email.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { notificationsOf, runJob } from '../../test/support/jobs';
import { connect, useServedRooms } from '../../test/support/realtime';
import { useSmtp } from '../../test/support/smtp';
import { useFixture, useTestApi } from '../../test/support/suite';
import { memberRemovalsReaction } from './member-removals/reaction';
import { notificationsReaction } from './notifications/reaction';
import { createReactor } from './reactor/reactor';

const WINDOW_MS = 1000;

describe('one assignment, one notification everywhere', () => {
  const smtp = useSmtp();
  const api = useTestApi(() => ({
    email: {
      smtpUrl: smtp.url,
      from: 'tracker@example.com',
      publicUrl: 'https://tracker.example.com',
      batchWindowMs: WINDOW_MS,
    },
  }));
  const served = useServedRooms(api);
  const team = useFixture(() => anOrganization(api, 'Once').withMember('dana').withProject('P').build());

  it('across crashes of the reaction before its commit, a restart, and repeated email runs', async () => {
    await api.system.reactor.stop();
    let crashes = 0;
    const crashing = createReactor({
      store: api.system.store,
      knex: api.knex,
      reactions: [
        notificationsReaction({ clock: () => new Date(), email: { batchWindowMs: WINDOW_MS } }),
        memberRemovalsReaction,
      ],
      publisher: api.bus,
      wake: () => undefined,
      logger: pino({ level: 'silent' }),
      retryDelayMs: 20,
      hooks: {
        beforeCommit(events) {
          if (events.some((e) => e.type === 'IssueAssigned')) {
            crashes += 1;
            throw new Error('crash before commit');
          }
        },
      },
    });
    const socket = connect(served.wsUrl(`/ws/notifications/?token=${team.dana.access}`));
    try {
      crashing.start();
      await socket.opened;
      await sleep(100);
      const issue = await createIssue(api, team.owner, team.projects.P, { title: 'Once' });
      const res = await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(team.owner.auth)
        .send({ assigned_to_id: team.dana.id })
        .expect(200);
      while (crashes < 3) await sleep(20);
      await crashing.stop();
      expect((await api.knex('notifications').where({ recipient_id: team.dana.id })).length).toBe(0);
      expect(socket.messages).toEqual([]);

      api.system.reactor.start(); // the restart: the reactor of a new process takes the batch over
      const told = await notificationsOf(api, team.dana, { position: res.headers['x-position'] as string });
      expect(told.map((n) => [n.kind, n.issue])).toEqual([['issue.assigned', issue.id]]);
      const [pushed] = await socket.waitFor(1);
      expect(pushed).toMatchObject({ type: 'notification', notification: told[0] });

      const due = new Date(Date.now() + WINDOW_MS + 1000);
      await Promise.all([runJob(api, 'email-digests', due), runJob(api, 'email-digests', due)]);
      await runJob(api, 'email-digests', due);
      const [email] = await smtp.waitFor(1);
      expect(email!.to).toEqual([team.dana.email.toLowerCase()]);
      expect(email!.mail.text).toContain(`/api/v1/issues/${issue.id}/`);

      await sleep(200);
      expect(await notificationsOf(api, team.dana)).toHaveLength(1);
      expect(socket.messages).toHaveLength(1);
      expect(smtp.received).toHaveLength(1);
    } finally {
      await crashing.stop();
      await socket.close();
      if (api.system.reactor.role === 'standby') api.system.reactor.start();
    }
  });
});
