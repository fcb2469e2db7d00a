/**
 * Where attachment bytes live: the storage port, with a filesystem adapter (the embedded default, under the data
 * folder) and an S3-compatible one (`S3_BUCKET`). Bytes never enter the event log: the log records a key.
 *
 * Keys are `sha256/<hex>` (content-addressed: equal files share their bytes). Writing is two steps so that the
 * writer can learn the content's digest while it streams: `stage` streams the bytes to a temporary object that no
 * reader ever sees, then `commit(key)` makes it visible under its key at once (a rename, a copy), or `discard()`
 * removes it. A stream that fails midway (too large, cut off) leaves nothing: `stage` removes what it wrote.
 */
import type { Readable } from 'node:stream';

/** Inclusive byte offsets, as in an HTTP `Range`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  key: string;
  size: number;
  /** When its bytes were last written (a commit over an existing key counts). */
  modifiedAt: Date;
}

export interface StagedContent {
  /** Makes the bytes visible under `key`, replacing any object there (the same bytes, for content-addressed keys). */
  commit(key: string): Promise<void>;
  /** Removes the staged bytes. */
  discard(): Promise<void>;
}

export interface AttachmentStorage {
  readonly kind: 'filesystem' | 's3';
  /** Streams `content` to a temporary object; rejects (having removed it) when the stream fails. */
  stage(content: Readable): Promise<StagedContent>;
  /** `stage` then `commit`. */
  put(key: string, content: Readable): Promise<void>;
  /** The object's bytes (those of `range` only, when given); null when there is no such object. */
  get(key: string, range?: ByteRange): Promise<Readable | null>;
  /** Removes the object; one that is not there is no error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Every committed object (staged ones are not listed). */
  list(): AsyncIterable<StoredObject>;
  /** Removes staged objects older than `before` (left by a process that died while writing); returns how many. */
  sweepStaged(before: Date): Promise<number>;
  /** Whether the storage answers (readiness). */
  check(): Promise<void>;
}

const KEY = /^[a-z0-9]+(?:\/[a-z0-9][a-z0-9._-]*)+$/;

/** Keys are a few lower-case segments: nothing that could climb out of a folder or name a staged object. */
export const assertKey = (key: string): string => {
  if (!KEY.test(key) || key.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`invalid storage key ${JSON.stringify(key)}`);
  }
  return key;
};
