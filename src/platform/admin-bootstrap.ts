/**
 * The first admin, from `ADMIN_USERNAME` and `ADMIN_PASSWORD` (and `ADMIN_EMAIL`): at the first start with them
 * set, that user is registered as an admin through the registration command (so the log has its
 * `UserRegistered`, like any user's), or, if it exists, promoted to admin. A record of that start
 * (`admin_bootstrap`) makes every later start with the same username change nothing: an admin demoted since stays
 * demoted, and a password that differs from the user's is not applied (it never is: this sets nothing but
 * `is_admin` on an existing user). A new `ADMIN_USERNAME` is a first start for that name.
 *
 * Processes starting together take turns (a PostgreSQL advisory lock), so the user is made once. The accounts and
 * the command side come in as parameters: the platform part imports neither.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { sqlMigration } from '../shared/sql-migration';

export const adminBootstrapMigration = sqlMigration(
  `
      CREATE TABLE admin_bootstrap (
        username text PRIMARY KEY,
        user_id uuid NOT NULL,
        outcome text NOT NULL,
        done_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  'DROP TABLE IF EXISTS admin_bootstrap',
);

/** The platform's own tables; the composition root places them. */
export const platformMigrations: ReadonlyArray<readonly [string, Knex.Migration]> = [
  ['0400_admin_bootstrap', adminBootstrapMigration],
];

export interface AdminSettings {
  username: string;
  password: string;
  /** Default `<username>@localhost`. */
  email?: string;
}

export interface AdminBootstrapDeps {
  knex: Knex;
  logger: Logger;
  /** The accounts' credentials. */
  credentials: {
    findByUsername(username: string): Promise<{ userId: string; isAdmin: boolean } | null>;
    setAdmin(userId: string, isAdmin: boolean): Promise<void>;
  };
  /** The registration command (commands' `registerUser`). */
  register(
    input: { username: string; email: string; password: string; isAdmin: boolean },
    context: { commandId: string; correlationId: string },
  ): Promise<{ userId: string }>;
}

export type AdminBootstrapOutcome = 'created' | 'promoted' | 'already-admin' | 'unchanged';

/** Any fixed number: the lock only keeps two starting processes from bootstrapping at once. */
const LOCK_KEY = 7_164_021_245;

/**
 * Makes `admin.username` an admin if no earlier start did; returns what it did. `unchanged`: an earlier start did
 * it (whatever has happened to that user since).
 */
export const bootstrapAdmin = async (
  deps: AdminBootstrapDeps,
  admin: AdminSettings,
): Promise<{ outcome: AdminBootstrapOutcome; userId: string }> => {
  const key = admin.username.toLowerCase();
  return deps.knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [LOCK_KEY]);
    const earlier = (await trx('admin_bootstrap').where({ username: key }).first()) as
      | { user_id: string; outcome: string }
      | undefined;
    if (earlier) {
      deps.logger.info(
        { username: admin.username, userId: earlier.user_id },
        'ADMIN_USERNAME was set up at an earlier start: nothing changed (its password and admin flag stay as they are)',
      );
      return { outcome: 'unchanged' as const, userId: earlier.user_id };
    }
    const existing = await deps.credentials.findByUsername(admin.username);
    let outcome: Exclude<AdminBootstrapOutcome, 'unchanged'>;
    let userId: string;
    if (!existing) {
      // Derived from the username: a retry after a crash mid-registration completes that registration.
      const context = { commandId: `admin-bootstrap:${key}`, correlationId: `admin-bootstrap:${key}` };
      const email = admin.email ?? `${admin.username}@localhost`;
      ({ userId } = await deps.register(
        { username: admin.username, email, password: admin.password, isAdmin: true },
        context,
      ));
      outcome = 'created';
    } else {
      userId = existing.userId;
      outcome = existing.isAdmin ? 'already-admin' : 'promoted';
      if (!existing.isAdmin) await deps.credentials.setAdmin(userId, true);
    }
    await trx('admin_bootstrap').insert({ username: key, user_id: userId, outcome });
    deps.logger.info(
      { username: admin.username, userId, outcome },
      {
        created: 'admin user created from ADMIN_USERNAME',
        promoted: 'existing user made an admin from ADMIN_USERNAME (its password was not changed)',
        'already-admin': 'ADMIN_USERNAME is an admin already (its password was not changed)',
      }[outcome],
    );
    return { outcome, userId };
  });
};
