/**
 * Assignments the log records after a member's removal: a command that read the member list just before the
 * removal appends just after it (found by src/reliability/concurrency.test.ts), or a deleted issue of theirs is
 * restored. The member-removal process releases them too, once, on behalf of whoever removed the member.
 */
import { uuidv7 } from '../../commands/ids';
import { issueStream } from '../../domain/issue/events';
import { anOrganization, createIssue } from '../../../test/support/fixtures';
import { finishRemovals } from '../../../test/support/live-http';
import { runJob } from '../../../test/support/jobs';
import { useTestApi } from '../../../test/support/suite';

describe('assignments recorded after a removal', () => {
  const api = useTestApi();

  const assigneeOf = async (issueId: string): Promise<string | null> =>
    ((await api.pool.query('SELECT assignee_id::text FROM issues WHERE id = $1', [issueId])).rows[0]
      ?.assignee_id as string | null) ?? null;
  const unassignmentsOf = async (issueId: string) =>
    (
      await api.pool.query(
        "SELECT metadata->>'actorId' AS actor FROM events WHERE stream_id = $1 AND type = 'IssueUnassigned'",
        [issueStream(issueId)],
      )
    ).rows as { actor: string }[];
  const finish = () => finishRemovals(api);

  it('releases an assignment appended after the removal by a command that decided before it, once', async () => {
    const shop = await anOrganization(api, 'Race').withMember('leaver').withProject('P').build();
    const issue = await createIssue(api, shop.owner, shop.projects.P);
    await api.http
      .delete(`/api/v1/organizations/${shop.id}/members/${shop.leaver.id}/`)
      .set(shop.owner.auth)
      .expect(204);
    await finish();
    // What the losing side of the race appends: the assignment its command decided while the leaver was a member.
    await api.system.store.appendToStream(
      issueStream(issue.id),
      [
        {
          type: 'IssueAssigned',
          data: {
            issueId: issue.id,
            projectId: shop.projects.P,
            organizationId: shop.id,
            assigneeId: shop.leaver.id,
            previousAssigneeId: null,
          },
          metadata: {
            actorId: shop.owner.id,
            correlationId: uuidv7(),
            causationId: uuidv7(),
            commandId: uuidv7(),
            schemaVersion: 1,
            occurredAt: new Date().toISOString(),
          },
        },
      ],
      { expectedRevision: 0 },
    );
    await finish();
    expect(await assigneeOf(issue.id)).toBeNull();
    await runJob(api, 'member-removals');
    // Released once, on behalf of the owner who removed the leaver.
    expect(await unassignmentsOf(issue.id)).toEqual([{ actor: shop.owner.id }]);
  });

  it('releases a deleted issue of the former member that is restored after their removal', async () => {
    const shop = await anOrganization(api, 'Restore').withMember('leaver').withProject('P').build();
    const issue = await createIssue(api, shop.owner, shop.projects.P, { assigned_to_id: shop.leaver.id });
    await api.http.delete(`/api/v1/issues/${issue.id}/`).set(shop.owner.auth).expect(204);
    await api.http
      .delete(`/api/v1/organizations/${shop.id}/members/${shop.leaver.id}/`)
      .set(shop.owner.auth)
      .expect(204);
    await finish();
    await api.http.post(`/api/v1/issues/${issue.id}/restore/`).set(shop.owner.auth).expect(200);
    await finish();
    expect(await assigneeOf(issue.id)).toBeNull();
    expect(await unassignmentsOf(issue.id)).toEqual([{ actor: shop.owner.id }]);
  });

  it('leaves an assignment made after the member was added back', async () => {
    const shop = await anOrganization(api, 'Back').withMember('returner').withProject('P').build();
    await api.http
      .delete(`/api/v1/organizations/${shop.id}/members/${shop.returner.id}/`)
      .set(shop.owner.auth)
      .expect(204);
    await finish();
    await api.http
      .post(`/api/v1/organizations/${shop.id}/members/`)
      .set(shop.owner.auth)
      .send({ user_id: shop.returner.id, role: 'member' })
      .expect(201);
    const issue = await createIssue(api, shop.owner, shop.projects.P, { assigned_to_id: shop.returner.id });
    await finish();
    expect(await assigneeOf(issue.id)).toBe(shop.returner.id);
    expect(await unassignmentsOf(issue.id)).toEqual([]);
  });
});
