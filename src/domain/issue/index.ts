/** The issue aggregate: its commands, events, state and decider. */
export * from './events';
export type * from './commands';
export type { Issue } from './state';
export { issueDecider } from './decider';
export {
  COMMENT_BODY_MAX,
  ISSUE_DESCRIPTION_MAX,
  ISSUE_LABELS_MAX,
  ISSUE_TITLE_MAX,
  labelSet,
  mentionedUsernames,
} from './fields';
export { evolveWatching, nextWatching, watchersOf, watchUpdates } from './watching';
export type { WatchUpdate } from './watching';
export { ATTACHMENT_FILENAME_MAX, attachmentStorageKey, ISSUE_ATTACHMENTS_MAX } from './attachments';
