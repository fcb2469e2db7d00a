import type { Knex } from 'knex';
import type { Commands } from '../../commands';
import type { Position } from '../../eventstore/port';
import { derivedId } from '../ids';
import type { JobDefinition, JobRun } from '../job';
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

class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/** The oldest pending removal no live run holds, now this run's until its lease runs out. */
const claim = async (knex: Knex, run: JobRun, leaseMs: number): Promise<Removal | null> => {
  const { rows } = await knex.raw<{ rows: Removal[] }>(
    `UPDATE label_removals r
     SET lease_owner = ?, lease_until = now() + ? * interval '1 millisecond', attempts = r.attempts + 1
     WHERE (r.event_id, r.label_id) = (
       SELECT event_id, label_id FROM label_removals
       WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= now())
       ORDER BY position
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     RETURNING r.event_id, r.label_id, r.organization_id, r.actor_id, r.position`,
    [run.runId, leaseMs],
  );
  return rows[0] ?? null;
};

const held = (knex: Knex, run: JobRun, removal: Removal) =>
  knex('label_removals').where({
    event_id: removal.event_id,
    label_id: removal.label_id,
    lease_owner: run.runId,
  });

/** Renews the lease and records the progress; false when another run has taken the removal over. */
const renew = async (knex: Knex, run: JobRun, removal: Removal, leaseMs: number, released: number) =>
  (await held(knex, run, removal).update({
    lease_until: knex.raw("now() + ? * interval '1 millisecond'", [leaseMs]),
    released,
  })) > 0;

const finish = async (knex: Knex, run: JobRun, removal: Removal, released: number) =>
  (await held(knex, run, removal).update({
    status: 'done',
    released,
    finished_at: knex.fn.now(),
    lease_owner: null,
    lease_until: null,
    last_error: null,
  })) > 0;

/** Hands the removal back (with the reason) to be tried again by a later run. */
const giveBack = (knex: Knex, run: JobRun, removal: Removal, reason: string) =>
  held(knex, run, removal).update({ lease_owner: null, lease_until: null, last_error: reason });

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
  if (!(await options.waiter.waitFor(removal.position, options.waitTimeoutMs)))
    throw new Error(`the read models have not reached the label's deletion at ${removal.position} yet`);
  let released = 0;
  for (const issueId of await issuesWithLabel(knex, removal.organization_id, removal.label_id)) {
    if (!(await renew(knex, run, removal, options.leaseMs, released)))
      throw new LeaseLost('another run took the removal over');
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
  if (!(await finish(knex, run, removal, released))) throw new LeaseLost('another run took the removal over');
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
  async run(run) {
    const failures: string[] = [];
    for (;;) {
      const removal = await claim(options.knex, run, options.leaseMs);
      if (!removal) break;
      try {
        await processRemoval(options, run, removal);
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        if (!(error instanceof LeaseLost)) await giveBack(options.knex, run, removal, message);
        failures.push(message);
        break;
      }
    }
    if (failures.length > 0) throw new Error(`label-removals: ${failures[0]}`);
  },
});
