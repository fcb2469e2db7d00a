/**
 * Accounts: who may sign in (credentials with memory-hard password hashes) and their logins (refresh-token
 * sessions). Not event-sourced on purpose: secrets never enter the log, and a refresh token's rotation is no
 * business fact anyone replays. PostgreSQL tables of their own; the command side reserves usernames here when it
 * registers a user, and the API signs users in with it.
 */
export type { Credentials, CredentialStore } from './credentials';
export { TakenError } from './credentials';
export type { PasswordHasher } from './password';
export { scryptHasher } from './password';
export { credentialsMigration, pgCredentialStore } from './pg-credential-store';
export type { RotateOutcome, Session, SessionStore } from './sessions';
export { pgSessionStore, sessionsMigration } from './sessions';
export type { EmailRecipient, NotificationPreferences } from './preferences';
export { emailNotificationsMigration, emailRecipients, pgNotificationPreferences } from './preferences';

import type { Knex } from 'knex';
import { credentialsMigration } from './pg-credential-store';
import { emailNotificationsMigration } from './preferences';
import { sessionsMigration } from './sessions';

/** The accounts' tables, in order; the composition root places them. */
export const accountMigrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['0002_user_credentials', credentialsMigration],
  ['0003_refresh_tokens', sessionsMigration],
];

/**
 * The accounts' later tables and columns, in order; numbered after the API's (0004–0006), so the composition
 * root lists them after those.
 */
export const laterAccountMigrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['0007_user_email_notifications', emailNotificationsMigration],
];
