/** A user belongs to at most MEMBERSHIP_LIMIT organizations (1 000 by default; 3 here): 409 beyond it. */
import { addMember, createOrganization } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('the membership limit', () => {
  const api = useTestApi({ membershipLimit: 3 });
  /** A user who will reach the limit, and one who adds them. */
  const busy = useFixture(() => api.user('busy'));
  const other = useFixture(() => api.user('other'));

  it('refuses adding a user who is at the limit, and creating a fourth organization, with 409', async () => {
    await createOrganization(api, busy, 'One');
    await createOrganization(api, busy, 'Two');
    const third = await createOrganization(api, other, 'Three');
    await addMember(api, other, third, busy.id);
    const fourth = await createOrganization(api, other, 'Four');

    const added = await api.http
      .post(`/api/v1/organizations/${fourth}/members/`)
      .set(other.auth)
      .send({ user_id: busy.id });
    expectProblem(added, 409);
    expect(added.body.detail).toMatch(/3 organizations/);
    const created = await api.http.post('/api/v1/organizations/').set(busy.auth).send({ name: 'Five' });
    expectProblem(created, 409);
    const memberships = await api.http.get('/api/v1/memberships/').set(busy.auth);
    expect(memberships.body.results).toHaveLength(3);

    // Leaving one makes room again.
    expectStatus(
      await api.http.delete(`/api/v1/organizations/${third}/members/${busy.id}/`).set(busy.auth),
      204,
    );
    await addMember(api, other, fourth, busy.id);
  });

  it('counts only new memberships: a user at the limit is refused, a member added again hears "already a member"', async () => {
    const org = await createOrganization(api, other, 'Again');
    const res = await api.http.post(`/api/v1/organizations/${org}/members/`).set(other.auth).send({
      user_id: busy.id,
    });
    // busy is at the limit and not in this organization: the limit answers.
    expectProblem(res, 409);
    expect(res.body.detail).toMatch(/organizations/);
    const self = await api.http.post(`/api/v1/organizations/${org}/members/`).set(other.auth).send({
      user_id: other.id,
    });
    expectProblem(self, 409);
    expect(self.body.detail).toMatch(/already a member/);
  });
});
