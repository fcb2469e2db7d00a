/**
 * The PostgreSQL outage suite's short form (the long form: `npm run test:chaos -- outage-postgres`): one process of
 * every role (`ROLE=all`) behind a proxy to PostgreSQL; its sessions cut with pg_terminate_backend, then the
 * database unreachable, once. Requests get a success or 503 with Retry-After, never a 500 or a hang; the service
 * recovers by itself, and its projector, reactions and jobs resume where they were (see outage-postgres.ts).
 */
import { runLoggedSuite } from '../../test/support/reliability';
import { POSTGRES_OUTAGE_DEFAULTS, runPostgresOutageSuite } from './outage-postgres';

describe('PostgreSQL cut off under load', () => {
  it('answers 503 with Retry-After while it is down, then recovers by itself with nothing lost or doubled', async () => {
    const report = await runLoggedSuite(
      (log) =>
        runPostgresOutageSuite({
          ...POSTGRES_OUTAGE_DEFAULTS,
          cycles: 1,
          roles: ['all'],
          writers: 2,
          readers: 1,
          terminateMs: 2000,
          unreachableMs: 3000,
          log,
        }),
      170_000,
    );
    expect(report.failures).toEqual([]);
    expect(report.figures.cycles).toBe(1);
    expect(report.figures['answers while unreachable (from 1 s in)']).toMatch(/^503×\d+$/);
  }, 180_000);
});
