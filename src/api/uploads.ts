/**
 * Receives one file of a `multipart/form-data` request as a stream: busboy parses the form, a meter hashes and
 * counts the bytes on their way to the storage's staging area (never the whole file in memory), and the file's
 * first bytes tell its type. Too large (413), cut off, or missing (400): the staged bytes are removed and the
 * caller gets an error, with nothing left behind.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { fromBuffer } from 'file-type';
import type { AttachmentStorage, StagedContent } from '../storage/port';
import { HttpError } from './problem';

/** Enough of a file's start for `file-type` to recognise every format it knows. */
const HEAD_BYTES = 4100;

export interface ReceivedFile {
  staged: StagedContent;
  filename: string;
  size: number;
  sha256: string;
  /** What it is served as: detected, else declared when safe, else `application/octet-stream`. */
  contentType: string;
  detectedType: string | null;
  declaredType: string | null;
}

class TooLargeError extends Error {}

/** Hashes and counts what passes; fails once more than `maxBytes` went through; keeps the first bytes. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  /** Bytes so far (not `size`: @aws-sdk/lib-storage reads a body's `size` as its total length). */
  bytes = 0;
  private headChunks: Buffer[] = [];
  private headSize = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  get head(): Buffer {
    return Buffer.concat(this.headChunks);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new TooLargeError(`the file is larger than ${this.maxBytes} bytes`));
      return;
    }
    if (this.headSize < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headSize);
      this.headChunks.push(Buffer.from(part));
      this.headSize += part.length;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

/**
 * Declared types served as such when the bytes have no signature `file-type` knows: plain-text formats, and only
 * when the first bytes hold no NUL (text). Anything else (HTML, SVG, scripts…) is served as a download of bytes.
 */
const SAFE_DECLARED = new Set([
  'text/plain',
  'text/csv',
  'text/markdown',
  'text/tab-separated-values',
  'application/json',
  'application/x-ndjson',
  'application/yaml',
]);

const mediaTypeOf = (value: string | undefined): string | null => {
  const type = value?.split(';')[0]?.trim().toLowerCase();
  return type && /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(type) ? type : null;
};

/** The type the bytes show, and what the file is served as. */
export const contentTypeOf = async (
  head: Buffer,
  declared: string | null,
): Promise<{ contentType: string; detectedType: string | null }> => {
  // file-type 16 throws on some truncated signatures (a PNG header cut short): not recognised, then.
  const detectedType = (await fromBuffer(head).catch(() => undefined))?.mime ?? null;
  if (detectedType !== null) return { contentType: detectedType, detectedType };
  if (declared !== null && SAFE_DECLARED.has(declared) && !head.includes(0))
    return { contentType: declared, detectedType };
  return { contentType: 'application/octet-stream', detectedType };
};

/** The name as a browser may send it (a full Windows path, `"` as %22), without folders nor control characters, at most 255. */
export const cleanFilename = (name: string | undefined): string => {
  // Browsers send `"` as %22 in a multipart file name (and CR, LF as %0D, %0A): the name the user chose has it.
  const base = ((name ?? '').split(/[\\/]/).pop() ?? '').replace(/%22/g, '"');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return [...(clean === '' || clean === '.' || clean === '..' ? 'file' : clean)].slice(0, 255).join('');
};

const fileError = (status: number, detail: string, message: string) =>
  new HttpError(status, status === 413 ? 'Payload too large' : 'Invalid input', detail, {
    errors: [{ path: 'file', message }],
  });

/**
 * busboy 1.6 can end a form with a file part open for ever: when a part's header ends with the CRLF that also begins
 * the next boundary, and the form ends right after that boundary's `--` (`…Content-Type: x\r\n\r\n--b\r\n--`), it
 * opens the file after seeing the end of the form, never ends it, and so never closes: the request would never be
 * answered (found by the long fuzz run). Once busboy has had all the bytes (its `_final`), a file part still open on a
 * complete form is that case: the form is refused as malformed instead.
 */
const refuseFileOpenAfterTheEnd = (parser: busboy.Busboy): void => {
  const internals = parser as unknown as {
    _final(callback: (error?: Error | null) => void): void;
    _complete?: boolean;
    _fileStream?: unknown;
  };
  const final = internals._final.bind(parser);
  internals._final = (callback) => {
    final(callback);
    if (internals._complete === true && internals._fileStream)
      parser.destroy(new Error('Malformed part: a file part begins after the end of the form'));
  };
};

/** Reads the request's form; resolves once its `file` is staged. Other fields and files are read and ignored. */
export const receiveFile = (
  req: Request,
  storage: AttachmentStorage,
  maxBytes: number,
): Promise<ReceivedFile> =>
  new Promise<ReceivedFile>((resolve, reject) => {
    if (!req.is('multipart/form-data')) {
      reject(
        new HttpError(415, 'Unsupported media type', 'the body must be multipart/form-data', {
          errors: [{ path: 'Content-Type', message: 'must be multipart/form-data with a file field' }],
        }),
      );
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { files: 1, fields: 20, fieldSize: 64 * 1024, parts: 40, headerPairs: 100 },
      });
    } catch (error) {
      reject(fileError(400, `the form cannot be read: ${(error as Error).message}`, 'is required'));
      return;
    }
    refuseFileOpenAfterTheEnd(parser);
    let settled = false;
    let staging: Promise<ReceivedFile> | null = null;
    const stop = () => {
      // The rest of the request is read and dropped, so the answer reaches a client that is still sending.
      req.unpipe(parser);
      req.resume();
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      stop();
      reject(error);
    };
    const succeed = (file: ReceivedFile) => {
      if (settled) {
        file.staged.discard().catch(() => undefined);
        return;
      }
      settled = true;
      resolve(file);
    };

    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || staging !== null) {
        // Read and dropped; a form cut off inside it fails this stream, which the form's own error reports.
        stream.on('error', () => undefined);
        stream.resume();
        return;
      }
      const meter = new Meter(maxBytes);
      // The form's own stream fails when the request is cut off (or the form is malformed midway).
      let cutOff = false;
      stream.on('error', (error) => {
        cutOff = true;
        meter.destroy(error);
      });
      stream.pipe(meter);
      const declaredType = mediaTypeOf(info.mimeType);
      staging = storage.stage(meter).then(
        async (staged) => {
          const type = await contentTypeOf(meter.head, declaredType);
          return {
            staged,
            filename: cleanFilename(info.filename),
            size: meter.bytes,
            sha256: meter.hash.digest('hex'),
            declaredType,
            ...type,
          };
        },
        (error: unknown) => {
          stream.resume();
          if (error instanceof TooLargeError)
            throw fileError(413, error.message, `must be at most ${maxBytes} bytes`);
          if (cutOff) throw fileError(400, 'the upload was cut off before its end', 'was not received whole');
          // The storage failed: a server error, not the client's.
          throw error;
        },
      );
      staging.then(() => undefined, fail);
    });
    parser.on('error', (error: Error) => {
      fail(fileError(400, `the form cannot be read: ${error.message}`, 'must be a part of a readable form'));
      // busboy emits some errors (a malformed part header) without ending the form: end it, so that a file under way
      // fails (its staged bytes removed) and a file already staged is discarded by `succeed`.
      if (!parser.destroyed) parser.destroy();
    });
    parser.on('close', () => {
      if (staging === null) fail(fileError(400, 'the form has no file field', 'is required'));
      else staging.then(succeed, fail);
    });
    // A client that goes away mid-upload: the form never ends, so the parser is told.
    req.on('close', () => {
      if (!req.complete) parser.destroy(new Error('the request was cut off'));
    });
    req.pipe(parser);
  });
