/** The project aggregate: its commands, events, state and decider. */
export * from './events';
export type * from './commands';
export type { Project } from './decider';
export { checkCreateProject, PROJECT_DESCRIPTION_MAX, PROJECT_NAME_MAX, projectDecider } from './decider';
export * from './key';
