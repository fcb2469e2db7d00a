import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import type { CommandContext, CommandResult, Commands } from '../../commands';
import { NotFoundError } from '../../domain/shared/errors';
import { isPosition, type StreamReader } from '../../eventstore/port';
import type { Page } from '../../projections/shared/page';
import { type CommandResponseDeps, respondToCommand } from '../command-response';
import { commandContext, etag } from '../context';
import { z } from '../openapi';
import { HttpError } from '../problem';
import { inWireNames } from './wire-names';

/** What the resource routes need: the write side, the read models, and single streams for history and `as_of`. */
export interface ResourceDeps {
  commands: Commands;
  db: Knex;
  /** Reads one stream at a time: the API never appends but through commands, nor reads the whole log. */
  streams: StreamReader;
  responses: CommandResponseDeps;
  /** Bound on `?min_position=` waits. */
  minPositionTimeoutMs: number;
  /** The most events one list `?as_of=` may replay (422 past it); the default otherwise. */
  asOfEventBound?: number;
}

export const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

export const pageQuery = z.object({
  limit: z.coerce
    .number({ message: 'must be an integer from 1 to 100' })
    .int({ message: 'must be an integer from 1 to 100' })
    .min(1, { message: 'must be an integer from 1 to 100' })
    .max(100, { message: 'must be an integer from 1 to 100' })
    .optional(),
  cursor: z.string().max(2000).optional(),
  min_position: z.string().optional(),
});

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ results: z.array(item), next: z.string().nullable() }).openapi(name);

/** `{ results, next }`, where `next` is this request's URL with the next cursor. */
export const listBody = <T>(req: Request, page: Page<T>) => {
  let next: string | null = null;
  if (page.nextCursor) {
    const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
    url.searchParams.set('cursor', page.nextCursor);
    url.searchParams.delete('min_position');
    next = url.toString();
  }
  return { results: page.results, next };
};

export const orNotFound = <T>(value: T | null | undefined, what: string): T => {
  if (value === null || value === undefined) throw new NotFoundError(`${what} not found`);
  return value;
};

/**
 * `?min_position=` or `X-Min-Position`: wait, bounded, until the read models reach the position; a position they
 * do not reach in time is a 503 the client may retry.
 */
export const minPosition =
  (deps: Pick<ResourceDeps, 'responses' | 'minPositionTimeoutMs'>): RequestHandler =>
  async (req, _res, next) => {
    const fromQuery = typeof req.query.min_position === 'string' ? req.query.min_position : undefined;
    const position = fromQuery ?? req.get('x-min-position');
    if (position === undefined || position === '') return next();
    if (!isPosition(position)) {
      throw new HttpError(400, 'Invalid input', 'min_position is not a position', {
        errors: [
          {
            path: fromQuery ? 'min_position' : 'X-Min-Position',
            message: 'must be a position as given in X-Position',
          },
        ],
      });
    }
    if (!(await deps.responses.waiter.waitFor(position, deps.minPositionTimeoutMs))) {
      throw new HttpError(503, 'Service unavailable', 'the read models have not reached that position yet', {
        headers: { 'Retry-After': '1' },
      });
    }
    next();
  };

/** How a command route answers once its command ran (the position comes from the result). */
export interface CommandAnswer {
  status: 200 | 201 | 204;
  location?: string;
  /** Reads the resource back from the read models once they include the command. */
  body?: () => Promise<unknown>;
}

/**
 * Runs the request's command as the caller (under its Idempotency-Key and If-Match) and answers it. Refusals name
 * their fields as the client sent them; the answer waits for the read models unless the client prefers not to.
 */
export const runCommand = async <R extends CommandResult>(
  deps: Pick<ResourceDeps, 'responses'>,
  { req, res }: { req: Request; res: Response },
  command: (context: CommandContext) => Promise<R>,
  answer: (result: R) => CommandAnswer,
): Promise<void> => {
  const result = await command(commandContext(req, res)).catch((error: unknown) => {
    throw inWireNames(error);
  });
  await respondToCommand(deps.responses, req, res, { position: result.position, ...answer(result) });
};

/** The resource read back, with the revision the command left its stream at as the ETag. */
export const atRevision =
  <T>(res: Response, revision: number, read: () => Promise<T>) =>
  async (): Promise<T> => {
    res.setHeader('ETag', etag(revision));
    return read();
  };
