import type { Request, Response } from 'express';
import type { Position } from '../eventstore/port';

export interface ReadYourWrites {
  waitFor(position: Position, timeoutMs: number): Promise<boolean>;
}

export interface CommandResponseDeps {
  waiter: ReadYourWrites;
  /** The position to report when a command appended nothing. */
  head(): Promise<Position>;
  timeoutMs: number;
}

const prefersAsync = (req: Request): boolean =>
  (req.get('prefer') ?? '')
    .split(',')
    .some((p) => (p.split(';')[0] ?? '').trim().toLowerCase() === 'respond-async');

/**
 * Answers a command. By default it waits until the read models include the command's effect, so a GET right
 * after sees it; with `Prefer: respond-async` (or when the wait times out) it answers 202 with the position
 * and a Location to poll (the resource itself for a PATCH or DELETE). Every answer carries `X-Position`.
 */
export const respondToCommand = async (
  deps: CommandResponseDeps,
  req: Request,
  res: Response,
  outcome: {
    position: Position | null;
    status: 200 | 201 | 204;
    location?: string;
    /** Reads the resource from the read models once they caught up. */
    body?: () => Promise<unknown>;
  },
): Promise<void> => {
  const position = outcome.position ?? (await deps.head());
  res.setHeader('X-Position', position);
  if (outcome.location) res.setHeader('Location', outcome.location);
  const accepted = () => {
    // A PATCH or DELETE acts on the resource it names: that is where to read the outcome.
    if (!outcome.location && req.method !== 'POST')
      res.setHeader('Location', `${req.baseUrl}${req.path.replace(/\/?$/, '/')}`);
    res.setHeader('Preference-Applied', 'respond-async');
    res.status(202).json({ position });
  };
  if (prefersAsync(req)) return accepted();
  if (outcome.position !== null && !(await deps.waiter.waitFor(outcome.position, deps.timeoutMs)))
    return accepted();
  if (outcome.status === 204 || !outcome.body) {
    res.status(outcome.status === 204 ? 204 : outcome.status).end();
    return;
  }
  const body = await outcome.body();
  res.status(outcome.status).json(body);
};
