/**
 * The crash suite's short form (the long form, 20 rounds and more: `npm run test:chaos -- crash`): two processes of
 * every role (`ROLE=all` ×2, sharing Redis), killed with SIGKILL under load and restarted, twice; after each round
 * nothing acknowledged is lost, nothing is in the log twice, the read models equal a rebuild, the notifications and
 * the sockets' messages are exact (see crash.ts).
 */
import { runLoggedSuite } from '../../test/support/reliability';
import { describeWithRedis, redisUrl } from '../../test/support/redis';
import { CRASH_DEFAULTS, runCrashSuite } from './crash';

describeWithRedis('the service killed with SIGKILL under load, and restarted', () => {
  it('loses nothing acknowledged, applies nothing twice, and its clients resume with no gap', async () => {
    const report = await runLoggedSuite(
      (log) =>
        runCrashSuite({
          ...CRASH_DEFAULTS,
          rounds: 2,
          writers: 3,
          socketsPerProject: 1,
          roles: ['all', 'all'],
          loadMs: [500, 1500],
          redisUrl: redisUrl(),
          log,
        }),
      170_000,
    );
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ rounds: 2, 'processes killed (SIGKILL)': 4 });
    expect(report.figures['commands (logical requests)']).toBeGreaterThan(0);
    expect(report.figures['events folded and compared']).toBeGreaterThan(0);
  }, 180_000);
});
