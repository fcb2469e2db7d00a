import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type AttachmentStorage,
  assertKey,
  type ByteRange,
  type StagedContent,
  type StoredObject,
} from './port';

/** Staged files: dot-files in the folder their key will be in, so the commit is a rename within one folder. */
const STAGED = /^\.staged-[0-9a-f-]{36}\.part$/;
/** Content-addressed keys live here; staging writes here too. */
const CONTENT_FOLDER = 'sha256';

const missing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Attachments under `root` (the data folder's `attachments/` by default): the object `sha256/<hex>` is the file
 * `<root>/sha256/<hex>`. A file is written whole to a staged dot-file beside it (flushed to disk), then renamed, so no
 * reader ever sees half a file.
 */
export const filesystemStorage = (root: string): AttachmentStorage => {
  const fileOf = (key: string) => path.join(root, ...assertKey(key).split('/'));
  const stagingFolder = path.join(root, CONTENT_FOLDER);

  const stage = async (content: Readable): Promise<StagedContent> => {
    // The source may fail before the file is open (a request cut off at once): that failure is the answer.
    let failure: unknown = null;
    const early = (error: unknown) => {
      failure ??= error;
    };
    content.once('error', early);
    await mkdir(stagingFolder, { recursive: true });
    content.off('error', early);
    if (failure !== null || content.destroyed) {
      throw failure ?? new Error('the content stream closed before it was read');
    }
    const staged = path.join(stagingFolder, `.staged-${randomUUID()}.part`);
    try {
      await pipeline(content, createWriteStream(staged, { flags: 'wx', flush: true }));
    } catch (error) {
      await rm(staged, { force: true });
      throw error;
    }
    let settled = false;
    return {
      async commit(key) {
        if (settled) throw new Error('staged content already committed or discarded');
        const file = fileOf(key);
        await mkdir(path.dirname(file), { recursive: true });
        await rename(staged, file);
        settled = true;
      },
      async discard() {
        settled = true;
        await rm(staged, { force: true });
      },
    };
  };

  async function* walk(folder: string, prefix: string): AsyncGenerator<StoredObject> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (missing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(folder, entry.name);
      const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        yield* walk(full, key);
      } else if (entry.isFile()) {
        const info = await stat(full).catch((error: unknown) =>
          missing(error) ? null : Promise.reject(error),
        );
        if (info !== null) yield { key, size: info.size, modifiedAt: new Date(info.mtimeMs) };
      }
    }
  }

  return {
    kind: 'filesystem',
    stage,
    async put(key, content) {
      assertKey(key);
      await (await stage(content)).commit(key);
    },
    async get(key: string, range?: ByteRange) {
      const file = fileOf(key);
      try {
        await stat(file);
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
      return createReadStream(file, range ? { start: range.start, end: range.end } : {});
    },
    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
    async exists(key) {
      try {
        return (await stat(fileOf(key))).isFile();
      } catch (error) {
        if (missing(error)) return false;
        throw error;
      }
    },
    list: () => walk(root, ''),
    async sweepStaged(before) {
      let removed = 0;
      let names: string[];
      try {
        names = await readdir(stagingFolder);
      } catch (error) {
        if (missing(error)) return 0;
        throw error;
      }
      for (const name of names.filter((n) => STAGED.test(n))) {
        const file = path.join(stagingFolder, name);
        const info = await stat(file).catch(() => null);
        if (info !== null && info.mtime < before) {
          await rm(file, { force: true });
          removed += 1;
        }
      }
      return removed;
    },
    async check() {
      await mkdir(root, { recursive: true });
    },
  };
};
