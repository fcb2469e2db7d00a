/**
 * When PostgreSQL notifications arrive on a LISTEN connection: the projector's commits (its channel carries the
 * checkpoint position it committed, in a commit notice) and the bench's own pings.
 */
import type pg from 'pg';
import { readCommitNotice } from '../../src/projections/runner/checkpoints';
import { wallMs } from './clock';

const TIMEOUT_MS = 10_000;
/** Commit notifications remembered, for a waiter that comes after its commit was announced. */
const REMEMBERED = 1000;

export interface Arrivals {
  /** When a commit at or past `position` was first announced (possibly before this call). */
  committed(position: string): Promise<number>;
  /** When the ping `id` arrived; register before sending it. */
  pinged(id: string): Promise<number>;
}

type Register = (resolve: (t: number) => void) => () => void;

const withTimeout = (register: Register): Promise<number> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unregister();
      reject(new Error(`no notification within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    const unregister = register((t) => {
      clearTimeout(timer);
      unregister();
      resolve(t);
    });
  });

export const watchNotifications = (
  client: pg.Client,
  commitChannel: string,
  pingChannel: string,
): Arrivals => {
  const seen: { position: string; t: number }[] = [];
  const commits = new Set<{ position: string; resolve: (t: number) => void }>();
  const pings = new Map<string, (t: number) => void>();
  client.on('notification', ({ channel, payload = '' }) => {
    const t = wallMs();
    if (channel === pingChannel) pings.get(payload)?.(t);
    if (channel !== commitChannel) return;
    const position = readCommitNotice(payload)?.position;
    if (position === undefined) return;
    seen.push({ position, t });
    if (seen.length > REMEMBERED) seen.shift();
    for (const waiter of [...commits]) if (waiter.position <= position) waiter.resolve(t);
  });
  return {
    committed(position) {
      const earlier = seen.find((arrival) => arrival.position >= position);
      if (earlier) return Promise.resolve(earlier.t);
      return withTimeout((resolve) => {
        const waiter = { position, resolve };
        commits.add(waiter);
        return () => commits.delete(waiter);
      });
    },
    pinged: (id) =>
      withTimeout((resolve) => {
        pings.set(id, resolve);
        return () => pings.delete(id);
      }),
  };
};
