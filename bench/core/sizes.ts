/** How big and how long each row runs: the full run of QUALITY.md, `--quick`, and tiny for the jest smoke test. */
export interface Sizes {
  mode: 'full' | 'quick' | 'tiny';
  /** Seconds of each unmeasured warm-up step, and of each measured half of a pair. */
  warmupSeconds: number;
  measureSeconds: number;
  /** Measured baseline/system pairs after the warm-up. */
  pairs: number;
  /** HTTP connections of the load generator (no pipelining). */
  connections: number;
  /** Issues in the read model for the list and growth rows. */
  listIssues: number;
  /** Issues of the small ("fresh") organization the growth row compares the big one with. */
  smallIssues: number;
  /** Sockets of the command → WebSocket row, in rooms of `roomSize`. */
  pushSockets: number;
  roomSize: number;
  /** Idle sockets held by the app (and by the bare `net` baseline). */
  idleSockets: number;
  /** Events in the log the rebuild row replays. */
  rebuildEvents: number;
  /** Length of the memory soak. */
  soakSeconds: number;
  /** Membership events in the aged organization of the growth row. */
  membershipEvents: number;
}

export const FULL: Sizes = {
  mode: 'full',
  warmupSeconds: 5,
  measureSeconds: 10,
  pairs: 3,
  connections: 10,
  listIssues: 1_000_000,
  smallIssues: 1_000,
  pushSockets: 10_000,
  roomSize: 50,
  idleSockets: 20_000,
  rebuildEvents: 500_000,
  soakSeconds: 600,
  membershipEvents: 2_000,
};

export const QUICK: Sizes = {
  ...FULL,
  mode: 'quick',
  warmupSeconds: 1,
  measureSeconds: 1,
  listIssues: 100_000,
  pushSockets: 1_000,
  idleSockets: 1_000,
  rebuildEvents: 20_000,
  soakSeconds: 25,
};

/** For the smoke test: proves the plumbing, measures nothing worth reading. */
export const TINY: Sizes = {
  ...QUICK,
  mode: 'tiny',
  warmupSeconds: 0.3,
  measureSeconds: 0.3,
  pairs: 3,
  listIssues: 2_000,
  smallIssues: 100,
  pushSockets: 100,
  idleSockets: 100,
  rebuildEvents: 500,
  soakSeconds: 3,
  membershipEvents: 20,
};
