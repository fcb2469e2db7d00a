/**
 * An event the read models cannot apply must not stop them. Since the API now only lets user ids act (the token's
 * subject must be a UUID), no request can append such an event; this documents what happens when one is in the log
 * anyway (an older bug, a script, a bad migration): today the projector retries it forever and every later command
 * answers 202 because read-your-writes never arrives. The fix belongs to src/projections (skip or park the event,
 * and report it), so the test is marked failing until then.
 */
import { createTestApi, type TestApi } from '../../test/support/api';
import { expectStatus } from '../../test/support/http';

describe('read models after an event they cannot apply', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ readYourWritesTimeoutMs: 1500 });
  });
  afterAll(() => api.teardown());

  it.failing('keep answering commands with their effect (201), not 202 forever', async () => {
    const user = await api.user('after');
    await api.system.commands.createOrganization({ actorId: 'not-a-uuid' }, { name: 'Poison' });
    const res = await api.http
      .post('/api/v1/organizations/')
      .set(user.auth)
      .send({ name: 'After the poison' });
    expectStatus(res, 201);
  });
});
