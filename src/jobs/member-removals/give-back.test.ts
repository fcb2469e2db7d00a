/**
 * A member-removals run that fails because PostgreSQL went away hands its removal back once the database answers
 * again, instead of leaving it leased (the lease is a minute long: the removal would wait that long after every
 * outage). Found by the PostgreSQL outage suite (src/reliability/outage-postgres.ts).
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { testKnex } from '../../../test/support/database';
import { startTcpProxy } from '../../../test/support/tcp-proxy';
import { useTestApi } from '../../../test/support/suite';
import { START } from '../../eventstore/port';
import { memberRemovalsJob } from './member-removals-job';

describe('a member-removals run cut off from PostgreSQL', () => {
  const api = useTestApi();

  it('hands its removal back once the database is reachable again, for the next run to take at once', async () => {
    const direct = new URL(api.database.url);
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(api.database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const knex = testKnex(viaProxy.toString(), { max: 2, quiet: true });
    const eventId = randomUUID();
    await api.pool.query(
      `INSERT INTO member_removals (event_id, organization_id, user_id, actor_id, position, removed_at)
       VALUES ($1, $2, $3, $4, $5, now())`,
      [eventId, randomUUID(), randomUUID(), randomUUID(), START],
    );
    // The run claims the removal, then loses the database while it waits for the read models; it comes back later.
    let back: Promise<void> = Promise.resolve();
    const job = memberRemovalsJob({
      knex,
      commands: api.system.commands,
      waitTimeoutMs: 100,
      leaseMs: 60_000,
      waiter: {
        async waitFor() {
          await proxy.cut();
          back = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => proxy.restore());
          return false;
        },
      },
    });
    try {
      await expect(
        job.run({ runId: randomUUID(), now: new Date(), logger: pino({ level: 'silent' }) }),
      ).rejects.toThrow('the read models have not reached the removal');
      const { rows } = await api.pool.query(
        'SELECT status, attempts, lease_owner, lease_until, last_error FROM member_removals WHERE event_id = $1',
        [eventId],
      );
      expect(rows).toEqual([
        {
          status: 'pending',
          attempts: 1,
          lease_owner: null,
          lease_until: null,
          last_error: expect.stringContaining('the read models have not reached the removal'),
        },
      ]);
    } finally {
      await back;
      await knex.destroy();
      await proxy.close();
      await api.pool.query('DELETE FROM member_removals WHERE event_id = $1', [eventId]);
    }
  });
});
