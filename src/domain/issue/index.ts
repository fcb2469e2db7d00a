/** The issue aggregate: its commands, events, state and decider. */
export * from './events';
export type * from './commands';
export type { Issue } from './state';
export { issueDecider } from './decider';
export { ISSUE_DESCRIPTION_MAX, ISSUE_LABELS_MAX, ISSUE_TITLE_MAX, labelSet } from './fields';
export { ATTACHMENT_FILENAME_MAX, attachmentStorageKey, ISSUE_ATTACHMENTS_MAX } from './attachments';
