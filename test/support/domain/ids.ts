import type { CommandMetadata } from '../../../src/domain/shared/decider';

/** Readable stand-ins for UUIDs: the deciders never parse ids. */
export const ORG = 'org-acme';
export const PROJECT = 'project-apollo';
export const ISSUE = 'issue-42';
export const OWNER = 'user-olivia-owner';
export const CO_OWNER = 'user-oscar-owner';
export const MANAGER = 'user-mia-manager';
export const MEMBER = 'user-max-member';
export const OTHER_MEMBER = 'user-nina-member';
export const NEWCOMER = 'user-ned-newcomer';

export const NOW = '2025-03-14T09:26:53.000Z';

export const by = (actorId: string): CommandMetadata => ({ actorId, now: NOW });

/** A value the types forbid but a buggy caller could still pass at runtime. */
export const unchecked = <T>(value: unknown): T => value as T;
