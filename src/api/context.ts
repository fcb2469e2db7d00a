import type { Request, Response } from 'express';
import type { CommandContext } from '../commands';
import { ValidationError } from '../domain/shared/errors';
import { principal } from './auth/authenticate';
import { idempotentCommandId } from './idempotency';
import { requestId } from './request-id';

/** `If-Match: "3"` (or `W/"3"`, or `*` for any) → the revision the client read. */
export const expectedRevision = (req: Request): number | undefined => {
  const header = req.get('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) throw ValidationError.field('If-Match', 'must be an ETag as given by a GET, like "3"');
  return Number(match[1]);
};

/** Who runs the command, for which request, and under which command id and precondition. */
export const commandContext = (req: Request, res: Response): CommandContext => ({
  actorId: principal(req).id,
  correlationId: requestId(req),
  commandId: idempotentCommandId(res),
  expectedRevision: expectedRevision(req),
});

export const etag = (revision: number): string => `"${revision}"`;
