import { once } from 'node:events';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';

export const NDJSON = 'application/x-ndjson';

/** Whether the client prefers NDJSON to JSON (`Accept: application/x-ndjson`). */
export const wantsNdjson = (req: Request): boolean => req.accepts(['application/json', NDJSON]) === NDJSON;

/** Lines are written in chunks of about this many bytes: few writes, and never more than one chunk held. */
const CHUNK_BYTES = 64 * 1024;

/** Resolves when the socket takes more (`drain`) or is gone (`close`), whichever comes first. */
const writable = async (res: Response, gone: AbortSignal): Promise<void> => {
  if (gone.aborted) return;
  await once(res, 'drain', { signal: gone }).catch(() => undefined);
};

/** Aborted when the client goes away before the answer is complete. */
const disconnection = (res: Response): AbortSignal => {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
};

/**
 * Streams `items` as NDJSON, one JSON value per line, honouring back-pressure: when the socket's buffer is full
 * it waits for `drain` before reading on, so memory holds one chunk whatever the size. A client that goes away
 * stops the reading (the iterator is returned). A failure after the first byte can no longer be a problem+json
 * answer: it is logged and the connection cut, so the client sees a truncated stream, not a complete one.
 */
export const streamNdjson = async (
  req: Request,
  res: Response,
  items: AsyncIterable<unknown>,
): Promise<void> => {
  const gone = disconnection(res);
  let chunk = '';
  const flush = async () => {
    const full = !res.write(chunk);
    chunk = '';
    if (full) await writable(res, gone);
  };
  try {
    for await (const item of items) {
      chunk += `${JSON.stringify(item)}\n`;
      if (chunk.length >= CHUNK_BYTES) await flush();
      if (gone.aborted) return;
    }
    if (chunk.length > 0) res.write(chunk);
    res.end();
  } catch (error) {
    if (!res.headersSent) throw error;
    (req as { log?: Logger }).log?.error({ err: error }, 'an NDJSON answer failed part way');
    res.destroy();
  }
};
