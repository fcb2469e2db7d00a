/**
 * The `attachment-cleanup` job: deletes attachment bytes no attachment needs any more.
 *
 * Storage keys are the content's sha256, so one object may serve several attachments (on several issues). An
 * object is deleted when no attachment refers to it but ones removed more than the retention period ago
 * (`ATTACHMENT_RETENTION`), and when it was written more than `orphanGraceMs` ago: that also collects the bytes of
 * uploads whose command never made it into the log (refused, or a process that died between the two), while an
 * upload under way (its bytes written, its event not yet in the read model) is left alone. Staged objects older
 * than the grace period (a process that died mid-upload) go too.
 *
 * It writes only the storage, never a read model; a repeated run finds nothing more to delete.
 */
import type { Knex } from 'knex';
import { storageKeysInUse } from '../projections/attachments/queries';
import type { AttachmentStorage } from '../storage/port';
import type { JobDefinition, JobRun } from './job';

export interface AttachmentCleanupDeps {
  knex: Knex;
  storage: AttachmentStorage;
  /** How long a removed attachment's bytes are kept. */
  retentionMs: number;
  /** How old bytes no attachment refers to must be before they go (default one hour). */
  orphanGraceMs?: number;
  /** When it runs by itself (default: hourly, at 43 minutes past, UTC). */
  schedule?: JobDefinition['schedule'];
}

export const ATTACHMENT_CLEANUP_JOB = 'attachment-cleanup';
const HOUR_MS = 3_600_000;
/** Keys asked about per query. */
const BATCH = 500;

export interface AttachmentCleanupReport {
  /** Objects deleted. */
  deleted: number;
  /** Staged objects left by interrupted uploads, deleted. */
  staged: number;
}

export const runAttachmentCleanup = async (
  deps: AttachmentCleanupDeps,
  now: Date,
): Promise<AttachmentCleanupReport> => {
  const removedSince = new Date(now.getTime() - deps.retentionMs);
  const writtenBefore = new Date(now.getTime() - (deps.orphanGraceMs ?? HOUR_MS));
  let deleted = 0;
  const sweep = async (keys: string[]) => {
    const inUse = await storageKeysInUse(deps.knex, keys, removedSince);
    for (const key of keys.filter((k) => !inUse.has(k))) {
      await deps.storage.delete(key);
      deleted += 1;
    }
  };
  let batch: string[] = [];
  for await (const object of deps.storage.list()) {
    if (object.modifiedAt >= writtenBefore) continue;
    batch.push(object.key);
    if (batch.length === BATCH) {
      await sweep(batch);
      batch = [];
    }
  }
  await sweep(batch);
  const staged = await deps.storage.sweepStaged(writtenBefore);
  return { deleted, staged };
};

export const attachmentCleanupJob = (deps: AttachmentCleanupDeps): JobDefinition => ({
  name: ATTACHMENT_CLEANUP_JOB,
  description:
    'Deletes the bytes of attachments removed longer ago than the retention period (unless another attachment shares them) and of uploads that never became attachments',
  schedule: deps.schedule ?? { cron: '43 * * * *' },
  async run({ now, logger }: JobRun) {
    const report = await runAttachmentCleanup(deps, now);
    logger.info({ deleted: report }, 'attachment cleanup done');
  },
});
