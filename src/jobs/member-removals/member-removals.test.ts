/**
 * The member-removal process: the API answers once the removal is recorded, the reaction records it and wakes
 * the `member-removals` job, which releases each open assignment of that member in that organization by
 * command, once, however often the job runs again (and leaves a member who came back alone).
 */
import type { TestUser } from '../../../test/support/api';
import { eventually } from '../../../test/support/eventually';
import {
  addMember,
  anOrganization,
  type CreatedIssue,
  createIssue,
  createOrganization,
  createProject,
} from '../../../test/support/fixtures';
import { releasesOf, runJob } from '../../../test/support/jobs';
import { useTestApi } from '../../../test/support/suite';

describe('the member-removal process', () => {
  const api = useTestApi();

  const assigneeOf = async (by: TestUser, issueId: string) =>
    (await api.http.get(`/api/v1/issues/${issueId}/`).set(by.auth)).body.assigned_to?.id ?? null;

  it('releases every open assignment in that organization once, even when the job runs again, at once', async () => {
    const shop = await anOrganization(api, 'Shop').withMember('leaver').withProject('P').build();
    const elsewhere = await createOrganization(api, shop.owner, 'Elsewhere');
    await addMember(api, shop.owner, elsewhere, shop.leaver.id);
    const other = await createProject(api, shop.owner, elsewhere);
    const open: CreatedIssue[] = [];
    for (const status of ['open', 'in_progress', 'blocked', 'open', 'open'])
      open.push(
        await createIssue(api, shop.owner, shop.projects.P, { status, assigned_to_id: shop.leaver.id }),
      );
    const done = await createIssue(api, shop.owner, shop.projects.P, {
      status: 'done',
      assigned_to_id: shop.leaver.id,
    });
    const kept = await createIssue(api, shop.owner, other, { assigned_to_id: shop.leaver.id });

    await api.http
      .delete(`/api/v1/organizations/${shop.id}/members/${shop.leaver.id}/`)
      .set(shop.owner.auth)
      .expect(204);
    await eventually(async () => {
      for (const issue of open) expect(await assigneeOf(shop.owner, issue.id)).toBeNull();
    });
    expect(await assigneeOf(shop.owner, done.id)).toBe(shop.leaver.id);
    expect(await assigneeOf(shop.owner, kept.id)).toBe(shop.leaver.id);
    const { eventId, released } = await releasesOf(api, shop.id, shop.leaver.id);
    expect(released).toEqual(new Map(open.map((i) => [i.id, 1])));
    await eventually(async () => {
      const { rows } = await api.pool.query(
        'SELECT status, released FROM member_removals WHERE event_id = $1',
        [eventId],
      );
      expect(rows).toEqual([{ status: 'done', released: 5 }]);
    });

    // Its "done" lost (a run that died right after its last release): several runs take it up again at once.
    await api.pool.query(
      "UPDATE member_removals SET status = 'pending', lease_owner = NULL, lease_until = NULL WHERE event_id = $1",
      [eventId],
    );
    await Promise.all([
      runJob(api, 'member-removals'),
      runJob(api, 'member-removals'),
      runJob(api, 'member-removals'),
    ]);
    expect((await releasesOf(api, shop.id, shop.leaver.id)).released).toEqual(released);
    const { rows } = await api.pool.query('SELECT status FROM member_removals WHERE event_id = $1', [
      eventId,
    ]);
    expect(rows).toEqual([{ status: 'done' }]);
  });

  it('releases on behalf of whoever removed the member, caused by the removal', async () => {
    const shop = await anOrganization(api, 'Audit').withMember('quitter').withProject('P').build();
    const issue = await createIssue(api, shop.quitter, shop.projects.P, { assigned_to_id: shop.quitter.id });
    await api.http
      .delete(`/api/v1/organizations/${shop.id}/members/${shop.quitter.id}/`)
      .set(shop.quitter.auth)
      .expect(204);
    await eventually(async () => expect(await assigneeOf(shop.owner, issue.id)).toBeNull());
    const history = await api.http.get(`/api/v1/issues/${issue.id}/history/`).set(shop.owner.auth);
    expect(history.body.results.at(-1)).toMatchObject({
      type: 'IssueUnassigned',
      actor: { id: shop.quitter.id },
    });
  });

  it('leaves the assignments of a member who was added back before the process ran', async () => {
    const shop = await anOrganization(api, 'Return').withMember('returner').withProject('P').build();
    const before = await createIssue(api, shop.owner, shop.projects.P, { assigned_to_id: shop.returner.id });
    await api.system.reactor.stop();
    try {
      await api.http
        .delete(`/api/v1/organizations/${shop.id}/members/${shop.returner.id}/`)
        .set(shop.owner.auth)
        .expect(204);
      await addMember(api, shop.owner, shop.id, shop.returner.id);
      const after = await createIssue(api, shop.owner, shop.projects.P, { assigned_to_id: shop.returner.id });
      api.system.reactor.start();
      await eventually(async () => {
        const { rows } = await api.pool.query(
          'SELECT status, last_error FROM member_removals WHERE user_id = $1 AND organization_id = $2',
          [shop.returner.id, shop.id],
        );
        // The removal, and the assignment made after it in the log (recorded in case it raced the removal).
        const again = { status: 'done', last_error: 'a member again: nothing released' };
        expect(rows).toEqual([again, again]);
      });
      expect(await assigneeOf(shop.owner, before.id)).toBe(shop.returner.id);
      expect(await assigneeOf(shop.owner, after.id)).toBe(shop.returner.id);
    } finally {
      api.system.reactor.start();
    }
  });
});
