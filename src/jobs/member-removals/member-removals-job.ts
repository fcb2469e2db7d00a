import type { Knex } from 'knex';
import type { Commands } from '../../commands';
import type { Position } from '../../eventstore/port';
import { roleOf } from '../../projections/organizations/queries';
import { openAssignments } from '../../projections/revisions';
import { derivedId } from '../ids';
import type { JobDefinition, JobRun } from '../job';
import { MEMBER_REMOVALS_JOB } from './reaction';

export interface MemberRemovalsOptions {
  knex: Knex;
  commands: Pick<Commands, 'releaseAssignment'>;
  /** The read models' position waiter: a removal is processed once they include it. */
  waiter: { waitFor(position: Position, timeoutMs: number): Promise<boolean> };
  waitTimeoutMs: number;
  /** How long a run holds a removal (renewed after each release) before another run may take it over. */
  leaseMs: number;
}

interface Removal {
  event_id: string;
  organization_id: string;
  user_id: string;
  actor_id: string;
  position: string;
  released: number;
}

class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/** The oldest pending removal no live run holds, now this run's until its lease runs out. */
const claim = async (knex: Knex, run: JobRun, leaseMs: number): Promise<Removal | null> => {
  const { rows } = await knex.raw<{ rows: Removal[] }>(
    `UPDATE member_removals r
     SET lease_owner = ?, lease_until = now() + ? * interval '1 millisecond', attempts = r.attempts + 1
     WHERE r.event_id = (
       SELECT event_id FROM member_removals
       WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= now())
       ORDER BY position
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     RETURNING r.event_id, r.organization_id, r.user_id, r.actor_id, r.position, r.released`,
    [run.runId, leaseMs],
  );
  return rows[0] ?? null;
};

/** Renews the lease and records the progress; false when another run has taken the removal over. */
const renew = async (knex: Knex, run: JobRun, removal: Removal, leaseMs: number, released: number) =>
  (await knex('member_removals')
    .where({ event_id: removal.event_id, lease_owner: run.runId })
    .update({ lease_until: knex.raw("now() + ? * interval '1 millisecond'", [leaseMs]), released })) > 0;

const finish = async (knex: Knex, run: JobRun, removal: Removal, released: number, note: string | null) =>
  (await knex('member_removals').where({ event_id: removal.event_id, lease_owner: run.runId }).update({
    status: 'done',
    released,
    finished_at: knex.fn.now(),
    lease_owner: null,
    lease_until: null,
    last_error: note,
  })) > 0;

/**
 * Hands the removal back (with the reason) to be tried again by a later run. The run usually failed because
 * PostgreSQL could not be reached, and handing back may then fail too: it is tried again every second while the
 * lease lasts, so a removal waits for the database to come back rather than for its lease to run out.
 */
const giveBack = async (knex: Knex, run: JobRun, removal: Removal, reason: string, leaseMs: number) => {
  for (const until = Date.now() + leaseMs; ; ) {
    try {
      await knex('member_removals')
        .where({ event_id: removal.event_id, lease_owner: run.runId })
        .update({ lease_owner: null, lease_until: null, last_error: reason });
      return;
    } catch (error) {
      if (Date.now() + 1000 >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
};

/**
 * Releases one removed member's open assignments in the organization, each by command with an id derived from
 * the removal's event and the issue: a run that died midway is finished by the next one, which appends nothing
 * for what was already released. Returns how many it released.
 */
const processRemoval = async (
  options: MemberRemovalsOptions,
  run: JobRun,
  removal: Removal,
): Promise<void> => {
  const { knex } = options;
  if (!(await options.waiter.waitFor(removal.position, options.waitTimeoutMs)))
    throw new Error(`the read models have not reached the removal at ${removal.position} yet`);
  const issueIds = (await openAssignments(knex, removal.organization_id, removal.user_id)).sort();
  // Added back since: what they hold now is theirs again (assignments made after their return included).
  if (issueIds.length > 0 && (await roleOf(knex, removal.organization_id, removal.user_id)) !== null) {
    await finish(knex, run, removal, 0, 'a member again: nothing released');
    return;
  }
  let released = 0;
  for (const issueId of issueIds) {
    if (!(await renew(knex, run, removal, options.leaseMs, released)))
      throw new LeaseLost('another run took the removal over');
    await options.commands.releaseAssignment(
      {
        actorId: removal.actor_id,
        correlationId: run.runId,
        causationId: removal.event_id,
        commandId: derivedId('member-removal', removal.event_id, issueId),
      },
      { issueId, formerMemberId: removal.user_id },
    );
    released += 1;
  }
  if (!(await finish(knex, run, removal, released, null)))
    throw new LeaseLost('another run took the removal over');
  run.logger.info(
    { organizationId: removal.organization_id, userId: removal.user_id, released },
    'member-removals: assignments released',
  );
};

/**
 * `member-removals`: finishes the process each `MemberRemoved` starts (recorded by the reaction): once the read
 * models include the removal, release the member's open assignments in that organization, then mark it done.
 * Removals are claimed one at a time with a lease, so several runs share the work and none is done twice.
 */
export const memberRemovalsJob = (options: MemberRemovalsOptions): JobDefinition => ({
  name: MEMBER_REMOVALS_JOB,
  description: 'Releases the open assignments of members who left an organization',
  schedule: { every: '5 seconds' },
  // Its work is leased in its own table: a killed scheduler's lock should hold it up for seconds only.
  lockLifetimeMs: 30_000,
  async run(run) {
    const failures: string[] = [];
    for (;;) {
      const removal = await claim(options.knex, run, options.leaseMs);
      if (!removal) break;
      try {
        await processRemoval(options, run, removal);
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        if (!(error instanceof LeaseLost))
          await giveBack(options.knex, run, removal, message, options.leaseMs);
        failures.push(message);
        // Give it back and stop: the next run (seconds away) tries again, with the read models further along.
        break;
      }
    }
    if (failures.length > 0) throw new Error(`member-removals: ${failures[0]}`);
  },
});
