/**
 * Notification emails against a real SMTP server (`smtp-server`, started here): batched per user within the
 * window, plain text and HTML with links, sent once however often and however many at once the job runs, retried
 * after a refusal, taken over from a run that died; nothing without SMTP settings or for users who turned it off.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestApi, TestUser } from '../../../test/support/api';
import { addMember, anOrganization, createIssue } from '../../../test/support/fixtures';
import { expectStatus } from '../../../test/support/http';
import { notificationsOf, runJob } from '../../../test/support/jobs';
import { useSmtp } from '../../../test/support/smtp';
import { useFixture, useTestApi } from '../../../test/support/suite';

const WINDOW_MS = 60_000;
const LEASE_MS = 400;
const PUBLIC_URL = 'https://tracker.example.com';

/** A moment after every batch made so far is due. */
const later = () => new Date(Date.now() + WINDOW_MS + 1000);

describe('notification emails', () => {
  const smtp = useSmtp();
  const api = useTestApi(() => ({
    email: {
      smtpUrl: smtp.url,
      from: 'Team Tracker <tracker@example.com>',
      publicUrl: PUBLIC_URL,
      batchWindowMs: WINDOW_MS,
    },
    jobLeaseMs: LEASE_MS,
  }));
  const team = useFixture(() => anOrganization(api, 'Mailers').withProject('Inbox').build());

  const member = async (name: string): Promise<TestUser> => {
    const user = await api.user(name);
    await addMember(api, team.owner, team.id, user.id);
    return user;
  };
  /** The owner assigns the user a new issue; resolves once the reaction recorded its notification. */
  const assign = async (user: TestUser, title: string) => {
    const issue = await createIssue(api, team.owner, team.projects.Inbox, { title, assigned_to_id: user.id });
    await notificationsOf(api, user, { position: issue.position });
    return issue;
  };
  const emailsTo = (user: TestUser) => smtp.received.filter((r) => r.to.includes(user.email.toLowerCase()));

  beforeEach(() => {
    smtp.received.length = 0;
  });

  it('emails an assignment once, after the window, to the assignee, in text and HTML with a link to the issue', async () => {
    const alice = await member('alice');
    const issue = await assign(alice, 'Fix <the> login & more');
    await runJob(api, 'email-digests');
    expect(smtp.received).toEqual([]); // the window has not passed
    await runJob(api, 'email-digests', later());
    const [email] = await smtp.waitFor(1);
    expect(email!.to).toEqual([alice.email.toLowerCase()]);
    expect(email!.from).toBe('tracker@example.com');
    const message = `${team.owner.username} created ${issue.body.key} “Fix <the> login & more” and assigned it to you`;
    const link = `${PUBLIC_URL}/api/v1/issues/${issue.id}/`;
    expect(email!.mail.subject).toBe(`Team Tracker: ${message}`);
    expect(email!.mail.text).toContain(`- ${message}\n  ${link}`);
    expect(email!.mail.html).toContain(
      `<a href="${link}">${team.owner.username} created ${issue.body.key} “Fix &lt;the&gt; login &amp; more” and assigned it to you</a>`,
    );
    expect(email!.mail.messageId).toMatch(/^<[0-9a-f-]{36}@team-tracker>$/);

    await Promise.all([runJob(api, 'email-digests', later()), runJob(api, 'email-digests', later())]);
    await sleep(100);
    expect(smtp.received).toHaveLength(1);
  });

  it('sends a burst of changes within the window as one email', async () => {
    const bob = await member('bob');
    const first = await assign(bob, 'Burst');
    for (const status of ['in_progress', 'blocked']) {
      const res = await api.http.patch(`/api/v1/issues/${first.id}/`).set(team.owner.auth).send({ status });
      expectStatus(res, 200);
      await notificationsOf(api, bob, { position: res.headers['x-position'] as string });
    }
    await runJob(api, 'email-digests', later());
    const [email] = await smtp.waitFor(1);
    expect(email!.mail.subject).toBe('Team Tracker: 3 new notifications');
    expect((email!.mail.text ?? '').split('\n').filter((line) => line.startsWith('- '))).toEqual([
      `- ${team.owner.username} created ${first.body.key} “Burst” and assigned it to you`,
      `- ${team.owner.username} moved ${first.body.key} “Burst” from open to in progress`,
      `- ${team.owner.username} moved ${first.body.key} “Burst” from in progress to blocked`,
    ]);
    await sleep(100);
    expect(smtp.received).toHaveLength(1);
  });

  it('sends nothing to a user who turned email off, even what was queued before; on again, it resumes', async () => {
    const carol = await member('carol');
    await assign(carol, 'Queued before');
    const off = await api.http.patch('/api/v1/me/').set(carol.auth).send({ email_notifications: false });
    expect(off.body).toMatchObject({ id: carol.id, email_notifications: false });
    await assign(carol, 'While off');
    await runJob(api, 'email-digests', later());
    await sleep(100);
    expect(emailsTo(carol)).toEqual([]);
    await api.http.patch('/api/v1/me/').set(carol.auth).send({ email_notifications: true }).expect(200);
    await assign(carol, 'On again');
    await runJob(api, 'email-digests', later());
    const [email] = await smtp.waitFor(1);
    expect(email!.mail.subject).toContain('“On again”');
    expect(emailsTo(carol)).toHaveLength(1);
  });

  it('retries a send the server refused, after a backoff, and it arrives once', async () => {
    const dave = await member('dave');
    await assign(dave, 'Refused once');
    smtp.refuseNext(1);
    await expect(runJob(api, 'email-digests', later())).rejects.toThrow(/could not be sent/);
    await runJob(api, 'email-digests', later());
    expect(smtp.received).toEqual([]); // waiting for its retry
    await sleep(LEASE_MS + 100);
    await runJob(api, 'email-digests', later());
    await smtp.waitFor(1);
    await runJob(api, 'email-digests', later());
    await sleep(100);
    expect(emailsTo(dave)).toHaveLength(1);
  });

  it('takes a batch over from a run that died holding it, once its lease ran out', async () => {
    const erin = await member('erin');
    await assign(erin, 'Orphaned');
    // A run claimed it, then its process died before sending.
    await api.knex.raw(
      `UPDATE email_batches SET status = 'sending', lease_owner = 'a dead run',
         lease_until = now() + ? * interval '1 millisecond', attempts = 1
       WHERE recipient_id = ? AND status = 'open'`,
      [LEASE_MS, erin.id],
    );
    await runJob(api, 'email-digests', later());
    expect(emailsTo(erin)).toEqual([]);
    await sleep(LEASE_MS + 100);
    await runJob(api, 'email-digests', later());
    await smtp.waitFor(1);
    expect(emailsTo(erin)).toHaveLength(1);
  });

  it('sends each batch once when several schedulers run the job at the same time', async () => {
    const users = await Promise.all(['f1', 'f2', 'f3', 'f4', 'f5', 'f6'].map(member));
    for (const user of users) await assign(user, `For ${user.username}`);
    await Promise.all([1, 2, 3, 4].map(() => runJob(api, 'email-digests', later())));
    await smtp.waitFor(users.length);
    await sleep(150);
    expect(smtp.received.map((r) => r.to).sort()).toEqual(users.map((u) => [u.email.toLowerCase()]).sort());
  });
});

describe('without SMTP settings', () => {
  const api: TestApi = useTestApi();

  it('has no email job and queues nothing', async () => {
    const team = await anOrganization(api, 'Quiet').withMember('alice').withProject('P').build();
    const issue = await createIssue(api, team.owner, team.projects.P, { assigned_to_id: team.alice.id });
    expect(await notificationsOf(api, team.alice, { position: issue.position })).toHaveLength(1);
    expect(api.system.jobs.map((j) => j.name).sort()).toEqual([
      'attachment-cleanup',
      'cleanup',
      'label-removals',
      'member-removals',
      'overdue-reminders',
    ]);
    expect((await api.knex('email_batches').count<{ n: string }[]>({ n: '*' }))[0]!.n).toBe('0');
  });
});
