import type { Event } from '../shared/decider';

export const userStream = (userId: string): string => `user-${userId}`;

/** That a user exists, never their secrets: credentials live in their own table. */
export type UserRegistered = Event<'UserRegistered', { userId: string; username: string; email: string }>;

export type UserEvent = UserRegistered;

export const USER_EVENT_TYPES = ['UserRegistered'] as const satisfies readonly UserEvent['type'][];
