import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;
const KEY = Symbol('requestId');

/** Takes the client's `X-Request-Id` when it is sane, or makes one; returns it and remembers it on the request. */
export const requestIdMiddleware: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  const id = given && ACCEPTABLE.test(given) ? given : randomUUID();
  (req as unknown as Record<symbol, string>)[KEY] = id;
  res.setHeader('X-Request-Id', id);
  next();
};

/** The request id, which becomes the correlation id of the events a request causes. */
export const requestId = (req: Request): string =>
  (req as unknown as Record<symbol, string>)[KEY] ?? 'unknown';
