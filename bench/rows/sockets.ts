import { openFileLimit } from '../core/processes';

/** Files the app needs besides its sockets (pools, Redis, logs, the module files it has open). */
const HEADROOM = 300;

/**
 * How many sockets one server process can hold here: `wanted`, or fewer when the open-file limit (which the
 * servers inherit from the bench) is lower; with a note saying so.
 */
export const socketCapacity = (
  wanted: number,
  limit = openFileLimit(),
): { sockets: number; notes: string[] } => {
  if (!Number.isFinite(limit) || wanted <= limit - HEADROOM) return { sockets: wanted, notes: [] };
  const sockets = Math.max(0, limit - HEADROOM);
  return {
    sockets,
    notes: [
      `${wanted} sockets asked, ${sockets} held: the open-file limit is ${limit} per process ` +
        '(raise it with `ulimit -n` before `npm run bench` where the hard limit allows)',
    ],
  };
};
