/**
 * The Redis outage suite's short form (the long form: `npm run test:chaos -- outage-redis`): two processes of every
 * role (`ROLE=all` ×2) reaching Redis through a proxy; Redis taken away under load and brought back, once. Commands,
 * reads and logins are unaffected meanwhile; afterwards every socket has its project's feed with no gap and no
 * repeat (see outage-redis.ts).
 */
import { runLoggedSuite } from '../../test/support/reliability';
import { describeWithRedis, redisUrl } from '../../test/support/redis';
import { REDIS_OUTAGE_DEFAULTS, runRedisOutageSuite } from './outage-redis';

describeWithRedis('Redis down and back under load', () => {
  it('keeps commands, reads and logins working, and the sockets resume with no gap', async () => {
    const report = await runLoggedSuite(
      (log) =>
        runRedisOutageSuite({
          ...REDIS_OUTAGE_DEFAULTS,
          cycles: 1,
          roles: ['all', 'all'],
          writers: 2,
          readers: 1,
          socketsPerProject: 1,
          downMs: 3000,
          redisUrl: redisUrl(),
          log,
        }),
      170_000,
    );
    expect(report.failures).toEqual([]);
    expect(report.figures.cycles).toBe(1);
  }, 180_000);
});
