/** The user aggregate: its commands, events, state and decider. */
export * from './events';
export type * from './commands';
export type { User } from './decider';
export { EMAIL_MAX, USERNAME_MAX, userDecider } from './decider';
