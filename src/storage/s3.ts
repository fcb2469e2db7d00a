import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type AttachmentStorage, assertKey, type StagedContent, type StoredObject } from './port';

export interface S3StorageSettings {
  bucket: string;
  /** An S3-compatible endpoint (MinIO, s3rver, …); unset: AWS. */
  endpoint?: string;
  region: string;
  /** Unset: the SDK's own chain (environment, instance role, …). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** `bucket` in the path rather than the host name: what most S3-compatible servers want. */
  forcePathStyle: boolean;
  /** Put before every key (a folder of a shared bucket); none by default. */
  prefix?: string;
}

const STAGED_FOLDER = 'staged/';
/** Multipart parts of 5 MiB (S3's smallest), one in flight: an upload holds at most about two parts in memory. */
const PART_SIZE = 5 * 1024 * 1024;

const notFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

/**
 * Attachments in an S3 bucket: the object `sha256/<hex>` is `<prefix>sha256/<hex>`. Staged content streams to
 * `<prefix>staged/<uuid>` (multipart, never whole in memory), and a commit copies it to its key inside the bucket
 * and deletes the staged object, so no reader ever sees a partial object.
 */
export const s3Storage = (settings: S3StorageSettings, client?: S3Client): AttachmentStorage => {
  const s3 =
    client ??
    new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      credentials: settings.credentials,
    });
  const Bucket = settings.bucket;
  const prefix = settings.prefix ?? '';
  const objectKey = (key: string) => `${prefix}${assertKey(key)}`;
  const remove = (Key: string) => s3.send(new DeleteObjectCommand({ Bucket, Key }));

  async function* listed(under: string): AsyncGenerator<StoredObject & { objectKey: string }> {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket, Prefix: `${prefix}${under}`, ContinuationToken }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield {
          objectKey: o.Key,
          key: o.Key.slice(prefix.length),
          size: o.Size ?? 0,
          modifiedAt: o.LastModified ?? new Date(0),
        };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  const stage = async (content: Readable): Promise<StagedContent> => {
    // A failing source must fail the upload (lib-storage reads it as an async iterable), even before it is read.
    const failed = new Promise<never>((_, reject) => content.once('error', reject));
    failed.catch(() => undefined);
    if (content.destroyed) throw content.errored ?? new Error('the content stream closed before it was read');
    const staged = `${prefix}${STAGED_FOLDER}${randomUUID()}`;
    const upload = new Upload({
      client: s3,
      params: { Bucket, Key: staged, Body: content },
      partSize: PART_SIZE,
      queueSize: 1,
      leavePartsOnError: false,
    });
    try {
      await Promise.race([upload.done(), failed]);
    } catch (error) {
      await upload.abort().catch(() => undefined);
      await remove(staged).catch(() => undefined);
      throw error;
    }
    return {
      async commit(key) {
        await s3.send(
          new CopyObjectCommand({
            Bucket,
            Key: objectKey(key),
            CopySource: `${Bucket}/${staged.split('/').map(encodeURIComponent).join('/')}`,
          }),
        );
        await remove(staged);
      },
      async discard() {
        await remove(staged);
      },
    };
  };

  return {
    kind: 's3',
    stage,
    async put(key, content) {
      assertKey(key);
      await (await stage(content)).commit(key);
    },
    async get(key, range) {
      try {
        const answer = await s3.send(
          new GetObjectCommand({
            Bucket,
            Key: objectKey(key),
            Range: range ? `bytes=${range.start}-${range.end}` : undefined,
          }),
        );
        return answer.Body instanceof Readable ? answer.Body : Readable.from([]);
      } catch (error) {
        if (notFound(error)) return null;
        throw error;
      }
    },
    async delete(key) {
      await remove(objectKey(key));
    },
    async exists(key) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket, Key: objectKey(key) }));
        return true;
      } catch (error) {
        if (notFound(error)) return false;
        throw error;
      }
    },
    async *list() {
      for await (const { objectKey: _, ...object } of listed('sha256/')) yield object;
    },
    async sweepStaged(before) {
      let removed = 0;
      for await (const o of listed(STAGED_FOLDER)) {
        if (o.modifiedAt < before) {
          await remove(o.objectKey);
          removed += 1;
        }
      }
      return removed;
    },
    async check() {
      await s3.send(new HeadBucketCommand({ Bucket }));
    },
  };
};
