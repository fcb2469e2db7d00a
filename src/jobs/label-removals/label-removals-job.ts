import type { Knex } from 'knex';
import type { Commands } from '../../commands';
import type { Position } from '../../eventstore/port';
import { derivedId } from '../ids';
import type { JobDefinition, JobRun } from '../job';
import { leasedWork, runLeased } from '../leased-work';
import { LABEL_REMOVALS_JOB } from './reaction';

export interface LabelRemovalsOptions {
  knex: Knex;
  commands: Pick<Commands, 'releaseLabel'>;
  /** The read models' position waiter: a deletion is processed once they include it. */
  waiter: { waitFor(position: Position, timeoutMs: number): Promise<boolean> };
  waitTimeoutMs: number;
  /** How long a run holds a removal (renewed after each issue) before another run may take it over. */
  leaseMs: number;
}

interface Removal {
  event_id: string;
  label_id: string;
  organization_id: string;
  actor_id: string;
  position: string;
}

const removalsOf = (knex: Knex) =>
  leasedWork<Removal>(knex, {
    table: 'label_removals',
    keys: ['event_id', 'label_id'],
    columns: ['event_id', 'label_id', 'organization_id', 'actor_id', 'position'],
  });

/** Live issues of the organization that carry the label, as the read models have them (GIN index). */
const issuesWithLabel = async (knex: Knex, organizationId: string, labelId: string): Promise<string[]> => {
  const { rows } = await knex.raw<{ rows: { id: string }[] }>(
    `SELECT id FROM issues WHERE organization_id = ?::uuid AND label_ids @> ARRAY[?::uuid] ORDER BY id`,
    [organizationId, labelId],
  );
  return rows.map((r) => r.id);
};

/**
 * Takes the label off each issue that carries it, by command with an id derived from the removal's event, the
 * label and the issue: a run that died midway is finished by the next one, which appends nothing for the issues
 * already done, and an issue that lost the label meanwhile changes nothing.
 */
const processRemoval = async (options: LabelRemovalsOptions, run: JobRun, removal: Removal) => {
  const { knex } = options;
  const removals = removalsOf(knex);
  if (!(await options.waiter.waitFor(removal.position, options.waitTimeoutMs)))
    throw new Error(`the read models have not reached the label's deletion at ${removal.position} yet`);
  let released = 0;
  for (const issueId of await issuesWithLabel(knex, removal.organization_id, removal.label_id)) {
    await removals.renew(run, removal, options.leaseMs, released);
    await options.commands.releaseLabel(
      {
        actorId: removal.actor_id,
        correlationId: run.runId,
        causationId: removal.event_id,
        commandId: derivedId('label-removal', removal.event_id, removal.label_id, issueId),
      },
      { issueId, labelId: removal.label_id },
    );
    released += 1;
  }
  await removals.finish(run, removal, released);
  run.logger.info(
    { organizationId: removal.organization_id, labelId: removal.label_id, released },
    'label-removals: label taken off its issues',
  );
};

/**
 * `label-removals`: finishes the process each `LabelDeleted` starts (recorded by the reaction): once the read
 * models include the deletion, take the label off every issue of the organization that carries it, each by an
 * `IssueLabelsChanged` of its own (so history, `as_of`, the audit and the rooms all see it), then mark it done.
 */
export const labelRemovalsJob = (options: LabelRemovalsOptions): JobDefinition => ({
  name: LABEL_REMOVALS_JOB,
  description: 'Takes deleted labels off the issues that carry them',
  schedule: { every: '5 seconds' },
  // Its work is leased in its own table: a killed scheduler's lock should hold it up for seconds only.
  lockLifetimeMs: 30_000,
  run: (run) =>
    runLeased(removalsOf(options.knex), run, options.leaseMs, LABEL_REMOVALS_JOB, (removal) =>
      processRemoval(options, run, removal),
    ),
});
