import { randomUUID } from 'node:crypto';
import { applyBatch } from '../../../test/support/read-models/batches';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { findUserByUsername, getUser, usernamesOf } from './queries';

describe('users read model', () => {
  const bed = useReadModelTestbed('tt_rm_users');
  let ada: string;

  beforeAll(async () => {
    ada = await bed.world.register('Ada');
    await bed.world.register('grace');
    await bed.catchUp();
  });

  it('keeps the public profile of each registered user, and nothing else', async () => {
    expect(await getUser(bed.knex, ada)).toEqual({ id: ada, username: 'Ada', email: 'Ada@example.com' });
    expect(await getUser(bed.knex, randomUUID())).toBeNull();
    expect(await getUser(bed.knex, 'nope')).toBeNull();
  });

  it('finds a user by username whatever the case', async () => {
    expect((await findUserByUsername(bed.knex, 'ADA'))?.id).toBe(ada);
    expect(await findUserByUsername(bed.knex, 'nobody')).toBeNull();
    expect(await findUserByUsername(bed.knex, 'nul\u0000')).toBeNull();
  });

  it('answers usernames in bulk, ignoring unknown and malformed ids', async () => {
    const names = await usernamesOf(bed.knex, [ada, null, 'x', randomUUID()]);
    expect([...names]).toEqual([[ada, 'Ada']]);
  });

  it('changes nothing when a registration is applied again', async () => {
    const all = await bed.store.readAll();
    await applyBatch(bed.knex, all);
    const { rows } = await bed.knex.raw<{ rows: { n: number }[] }>('SELECT count(*)::int AS n FROM users');
    expect(rows[0]?.n).toBe(2);
  });
});
