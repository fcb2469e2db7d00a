/** The organization aggregate: its commands, events, state and decider. */
export * from './events';
export type * from './commands';
export type { Organization } from './decider';
export { authorizeAddMember, ORGANIZATION_NAME_MAX, organizationDecider } from './decider';
export type { Label } from './labels';
export { LABEL_NAME_MAX, labelColorCheck } from './labels';
