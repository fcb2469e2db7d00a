/**
 * Every refusal caused by one part of the request names it in `errors[].path`, found by the fuzz suite
 * (src/api/fuzz.test.ts): a stale `If-Match` (412), a body that is not JSON (415, `Content-Type`), a body over
 * 1 MiB (413, `body`), a path segment that is not valid percent-encoding (400, `path`).
 */
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { expectProblem } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';

describe('refusals name what was refused', () => {
  const api = useTestApi();
  const acme = useFixture(() => anOrganization(api, 'Acme').withProject('P').build());

  it('names If-Match in a 412', async () => {
    const issue = await createIssue(api, acme.owner, acme.projects.P);
    await api.http
      .patch(`/api/v1/issues/${issue.id}/`)
      .set(acme.owner.auth)
      .send({ title: 'Moved on' })
      .expect(200);
    const res = await api.http
      .patch(`/api/v1/issues/${issue.id}/`)
      .set(acme.owner.auth)
      .set('If-Match', '"0"')
      .send({ title: 'Stale' });
    expectProblem(res, 412, ['If-Match']);
    expect(res.body.errors[0].message).toBe('the issue is at "1"');
  });

  it('names Content-Type in a 415', async () => {
    const res = await api.http
      .post('/api/v1/organizations/')
      .set(acme.owner.auth)
      .set('Content-Type', 'text/plain')
      .send('name=Acme');
    expectProblem(res, 415, ['Content-Type']);
  });

  it('names body in a 413', async () => {
    const res = await api.http
      .post('/api/v1/organizations/')
      .set(acme.owner.auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }));
    expectProblem(res, 413, ['body']);
  });

  it.each(['%', '%E0%A4%A', 'a%zz'])(
    'names path when the id %s is not valid percent-encoding',
    async (id) => {
      const res = await api.http.get(`/api/v1/issues/${id}/`).set(acme.owner.auth);
      expectProblem(res, 400, ['path']);
    },
  );
});
