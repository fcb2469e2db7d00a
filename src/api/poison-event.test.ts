/**
 * The projector applies every event exactly once and in order, so an event no read model can apply would stop
 * them all (it is retried, never skipped: skipping would make the read models differ from the log). The write
 * side therefore never records one: actors are user ids (the token's subject must be a UUID, and the command
 * side's aggregate runner refuses anything else), and every other id is validated at the edge.
 */
import { ValidationError } from '../domain/shared/errors';
import { expectStatus } from '../../test/support/http';
import { useTestApi } from '../../test/support/suite';

describe('events the read models could not apply', () => {
  const api = useTestApi({ readYourWritesTimeoutMs: 1500 });

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
