import type { Command } from '../shared/decider';

/** Credentials never travel in a command that produces events: the handler stores them in their own table. */
export type RegisterUser = Command<'RegisterUser', { userId: string; username: string; email: string }>;

export type UserCommand = RegisterUser;
