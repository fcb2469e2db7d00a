/**
 * The reactor: the projector's runner as a second instance (its own lock, checkpoint rows and NOTIFY channel)
 * whose projections are reactions. A batch that fails before its commit takes effect once when applied again;
 * what the log held before the reactions first ran is folded into their tables but not acted on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { addMember, anOrganization, createIssue } from '../../../test/support/fixtures';
import { eventually } from '../../../test/support/eventually';
import { notificationsOf } from '../../../test/support/jobs';
import { connect, useServedRooms } from '../../../test/support/realtime';
import { useFixture, useTestApi } from '../../../test/support/suite';
import { labelRemovalsReaction } from '../label-removals/reaction';
import { memberRemovalsReaction } from '../member-removals/reaction';
import { notificationsReaction } from '../notifications/reaction';
import { createReactor } from './reactor';

describe('the reactor', () => {
  const api = useTestApi();
  const served = useServedRooms(api);
  const team = useFixture(() =>
    anOrganization(api, 'Reacting').withMember('alice').withMember('bob').withProject('P').build(),
  );

  it('runs beside the projector under its own lock, with its own checkpoints, both active', async () => {
    const issue = await createIssue(api, team.owner, team.projects.P, { assigned_to_id: team.alice.id });
    await notificationsOf(api, team.alice, { position: issue.position });
    expect(api.system.projector.role).toBe('active');
    expect(api.system.reactor.role).toBe('active');
    const status = await api.system.reactor.status();
    expect(status.map((s) => s.name)).toEqual([
      'reaction:notifications',
      'reaction:member-removals',
      'reaction:label-removals',
    ]);
    for (const s of status) expect(s.checkpoint >= issue.position).toBe(true);
    const { rows } = await api.pool.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(rows[0].n).toBe(2);
  });

  it('applies a batch that failed before its commit again, with one notification and one push', async () => {
    await api.system.reactor.stop();
    let failures = 0;
    const flaky = createReactor({
      store: api.system.store,
      knex: api.knex,
      reactions: [
        notificationsReaction({ clock: () => new Date() }),
        memberRemovalsReaction,
        labelRemovalsReaction,
      ],
      publisher: api.bus,
      wake: () => undefined,
      logger: pino({ level: 'silent' }),
      retryDelayMs: 50,
      hooks: {
        beforeCommit(events) {
          if (events.some((e) => e.type === 'IssueAssigned') && failures++ === 0)
            throw new Error('crash before commit');
        },
      },
    });
    flaky.start();
    try {
      const socket = connect(served.wsUrl(`/ws/notifications/?token=${team.bob.access}`));
      await socket.opened;
      await sleep(100);
      const issue = await createIssue(api, team.owner, team.projects.P, { title: 'Flaky' });
      const res = await api.http
        .patch(`/api/v1/issues/${issue.id}/`)
        .set(team.owner.auth)
        .send({ assigned_to_id: team.bob.id })
        .expect(200);
      const told = await notificationsOf(api, team.bob, { position: res.headers['x-position'] as string });
      expect(failures).toBeGreaterThanOrEqual(2);
      expect(told.filter((n) => n.issue === issue.id).map((n) => n.kind)).toEqual(['issue.assigned']);
      await socket.waitFor(1);
      await sleep(150);
      expect(socket.messages).toHaveLength(1);
      await socket.close();
    } finally {
      await flaky.stop();
      api.system.reactor.start();
    }
  });

  it('acts only on what comes after its first start: earlier history is folded in, not notified', async () => {
    // As on a deployment that had run for a while before reactions existed.
    await api.system.reactor.stop();
    await api.knex.raw(`
      DELETE FROM reaction_origins;
      DELETE FROM projection_checkpoints WHERE name LIKE 'reaction:%';
      TRUNCATE notifications, notification_inboxes, notification_issues, notification_members, member_removals,
        email_batches CASCADE;
    `);
    const carol = await api.user('carol');
    await addMember(api, team.owner, team.id, carol.id);
    const old = await createIssue(api, team.owner, team.projects.P, {
      title: 'Old',
      assigned_to_id: carol.id,
    });
    await api.http
      .delete(`/api/v1/organizations/${team.id}/members/${team.bob.id}/`)
      .set(team.owner.auth)
      .expect(204);

    api.system.reactor.start();
    await api.system.reactor.ready();
    const res = await api.http
      .patch(`/api/v1/issues/${old.id}/`)
      .set(team.owner.auth)
      .send({ status: 'in_progress' })
      .expect(200);
    const told = await notificationsOf(api, carol, { position: res.headers['x-position'] as string });
    // The assignment before the first start was not notified, but the reaction knows Carol holds the issue.
    expect(told.map((n) => n.kind)).toEqual(['issue.status_changed']);
    await eventually(async () => {
      const status = await api.system.reactor.status();
      expect(status.every((s) => s.lagEvents === 0)).toBe(true);
    });
    expect((await api.knex('member_removals').count<{ n: string }[]>({ n: '*' }))[0]!.n).toBe('0');
  });
});
