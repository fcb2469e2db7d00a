/** The admin log: what admins (and the command line) did, recorded per admin. */
export * from './events';
export type * from './commands';
export type { AdminLog } from './decider';
export { adminDecider } from './decider';
