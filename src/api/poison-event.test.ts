/**
 * The projector applies every event exactly once and in order, so an event no read model can apply would stop
 * them all (it is retried, never skipped: skipping would make the read models differ from the log). The write
 * side therefore never records one: actors are user ids (the token's subject must be a UUID, and the command
 * bus refuses anything else), and every other id is validated at the edge.
 */
import { ValidationError } from '../domain/shared/errors';
import { createTestApi, type TestApi } from '../../test/support/api';
import { expectStatus } from '../../test/support/http';

describe('events the read models could not apply', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ readYourWritesTimeoutMs: 1500 });
  });
  afterAll(() => api.teardown());

  it('are refused by the command side, and the read models keep up', async () => {
    const user = await api.user('after');
    await expect(
      api.system.commands.createOrganization({ actorId: 'not-a-uuid' }, { name: 'Poison' }),
    ).rejects.toBeInstanceOf(ValidationError);
    const res = await api.http
      .post('/api/v1/organizations/')
      .set(user.auth)
      .send({ name: 'After the attempt' });
    expectStatus(res, 201);
  });
});
