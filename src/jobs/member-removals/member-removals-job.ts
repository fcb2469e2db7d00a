import type { Knex } from 'knex';
import type { Commands } from '../../commands';
import type { Position } from '../../eventstore/port';
import { roleOf } from '../../projections/organizations/queries';
import { openAssignments } from '../../projections/revisions';
import { derivedId } from '../ids';
import type { JobDefinition, JobRun } from '../job';
import { LeaseLost, leasedWork, runLeased } from '../leased-work';
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

const removalsOf = (knex: Knex) =>
  leasedWork<Removal>(knex, {
    table: 'member_removals',
    keys: ['event_id'],
    columns: ['event_id', 'organization_id', 'user_id', 'actor_id', 'position', 'released'],
  });

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
  const removals = removalsOf(knex);
  if (!(await options.waiter.waitFor(removal.position, options.waitTimeoutMs)))
    throw new Error(`the read models have not reached the removal at ${removal.position} yet`);
  const issueIds = (await openAssignments(knex, removal.organization_id, removal.user_id)).sort();
  // Added back since: what they hold now is theirs again (assignments made after their return included).
  if (issueIds.length > 0 && (await roleOf(knex, removal.organization_id, removal.user_id)) !== null) {
    // Lost to another run meanwhile: that run finishes it the same way.
    await removals.finish(run, removal, 0, 'a member again: nothing released').catch((error: unknown) => {
      if (!(error instanceof LeaseLost)) throw error;
    });
    return;
  }
  let released = 0;
  for (const issueId of issueIds) {
    await removals.renew(run, removal, options.leaseMs, released);
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
  await removals.finish(run, removal, released);
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
  run: (run) =>
    runLeased(removalsOf(options.knex), run, options.leaseMs, MEMBER_REMOVALS_JOB, (removal) =>
      processRemoval(options, run, removal),
    ),
});
