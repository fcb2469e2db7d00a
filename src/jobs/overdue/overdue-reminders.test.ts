/**
 * Overdue reminders with a fake clock (the run's `now`): each issue past its due date and not done reminds its
 * assignee once per day, in the app, on the socket's table and by email, however often the job runs that day;
 * the next day again; never once it is done, nor on its due date itself.
 */
import type { TestUser } from '../../../test/support/api';
import { anOrganization, createIssue } from '../../../test/support/fixtures';
import { notificationsOf, runJob } from '../../../test/support/jobs';
import { useSmtp } from '../../../test/support/smtp';
import { useFixture, useTestApi } from '../../../test/support/suite';

const at = (iso: string) => new Date(iso);

describe('overdue reminders', () => {
  const smtp = useSmtp();
  const api = useTestApi(() => ({
    email: {
      smtpUrl: smtp.url,
      from: 'tracker@example.com',
      publicUrl: 'http://localhost:8000',
      batchWindowMs: 0,
    },
    overdueReminderCron: '30 7 * * 1-5',
  }));
  const team = useFixture(() =>
    anOrganization(api, 'Late').withMember('alice').withMember('bob').withProject('Dues').build(),
  );

  const remindersOf = async (user: TestUser, issueId: string) =>
    (await notificationsOf(api, user, { query: 'limit=100' })).filter(
      (n) => n.kind === 'issue.overdue' && n.issue === issueId,
    );

  it('runs on the configured schedule', () => {
    const job = api.system.jobs.find((j) => j.name === 'overdue-reminders');
    expect(job?.schedule).toEqual({ cron: '30 7 * * 1-5' });
  });

  it('reminds the assignee once a day while the issue is overdue, and stops once it is done', async () => {
    const late = await createIssue(api, team.owner, team.projects.Dues, {
      title: 'Late report',
      due_date: '2030-03-01',
      assigned_to_id: team.alice.id,
    });
    const unassigned = await createIssue(api, team.owner, team.projects.Dues, { due_date: '2030-03-01' });
    const finished = await createIssue(api, team.owner, team.projects.Dues, {
      due_date: '2030-03-01',
      status: 'done',
      assigned_to_id: team.bob.id,
    });

    await runJob(api, 'overdue-reminders', at('2030-03-01T08:00:00Z'));
    expect(await remindersOf(team.alice, late.id)).toEqual([]); // due today is not overdue yet

    await runJob(api, 'overdue-reminders', at('2030-03-02T07:30:00Z'));
    const [first, ...none] = await remindersOf(team.alice, late.id);
    expect(none).toEqual([]);
    expect(first).toEqual({
      id: expect.any(String),
      kind: 'issue.overdue',
      issue: late.id,
      project: team.projects.Dues,
      message: `${late.body.key} “Late report” was due on 2030-03-01 and is not done yet`,
      created_at: '2030-03-02T07:30:00.000Z',
      read_at: null,
    });
    // Retried, run twice at once, run again later that day: nobody is reminded twice.
    await Promise.all([
      runJob(api, 'overdue-reminders', at('2030-03-02T07:30:00Z')),
      runJob(api, 'overdue-reminders', at('2030-03-02T07:30:00Z')),
      runJob(api, 'overdue-reminders', at('2030-03-02T18:00:00Z')),
    ]);
    expect(await remindersOf(team.alice, late.id)).toHaveLength(1);
    expect((await notificationsOf(api, team.bob)).filter((n) => n.kind === 'issue.overdue')).toEqual([]);
    expect(unassigned.body.assigned_to).toBeNull();
    expect(finished.body.status).toBe('done');

    // By email too, once (Alice's assignment with it: the batch was still open).
    await runJob(api, 'email-digests', at('2030-03-02T07:31:00Z'));
    await runJob(api, 'email-digests', at('2030-03-02T07:32:00Z'));
    const toAlice = (await smtp.waitFor(2)).filter((r) => r.to.includes(team.alice.email.toLowerCase()));
    expect(toAlice).toHaveLength(1);
    expect(toAlice[0]!.mail.text).toContain(
      `- ${late.body.key} “Late report” was due on 2030-03-01 and is not done yet`,
    );

    await runJob(api, 'overdue-reminders', at('2030-03-03T07:30:00Z'));
    expect(await remindersOf(team.alice, late.id)).toHaveLength(2);

    const done = await api.http
      .patch(`/api/v1/issues/${late.id}/`)
      .set(team.alice.auth)
      .send({ status: 'done' })
      .expect(200);
    await notificationsOf(api, team.alice, { position: done.headers['x-position'] as string });
    await runJob(api, 'overdue-reminders', at('2030-03-04T07:30:00Z'));
    await runJob(api, 'overdue-reminders', at('2030-03-05T07:30:00Z'));
    expect(await remindersOf(team.alice, late.id)).toHaveLength(2);
  });
});
