import pino from 'pino';
import { createTestSystem, type TestSystem } from '../../test/support/system';
import { pgCredentialStore } from '../accounts/pg-credential-store';
import { scryptHasher } from '../accounts/password';
import { userStream } from '../domain/user/events';
import { type AdminBootstrapDeps, bootstrapAdmin } from './admin-bootstrap';

describe('the first admin, from ADMIN_USERNAME and ADMIN_PASSWORD', () => {
  let system: TestSystem;
  let deps: AdminBootstrapDeps;
  const credentials = () => pgCredentialStore(system.knex);
  const hasher = scryptHasher(10);

  beforeAll(async () => {
    system = await createTestSystem('tt_admin_bootstrap');
    deps = {
      knex: system.knex,
      logger: pino({ level: 'silent' }),
      credentials: credentials(),
      register: (input, context) => system.commands.registerUser(input, context),
    };
  });
  afterAll(() => system.teardown());

  it('registers the user as an admin at the first start, through the registration command', async () => {
    const { outcome, userId } = await bootstrapAdmin(deps, {
      username: 'root',
      password: 'first password',
      email: 'root@example.com',
    });
    expect(outcome).toBe('created');
    const stored = await credentials().findById(userId);
    expect(stored).toMatchObject({ username: 'root', email: 'root@example.com', isAdmin: true });
    expect(await hasher.verify('first password', stored!.passwordHash)).toBe(true);
    const events = await system.store.readStream(userStream(userId));
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['UserRegistered', { userId, username: 'root', email: 'root@example.com' }],
    ]);
    expect(JSON.stringify(events)).not.toContain('first password');
  });

  it('changes nothing at later starts: not a demotion since, not a password that differs', async () => {
    const before = (await credentials().findByUsername('root'))!;
    await credentials().setAdmin(before.userId, false);
    const again = await bootstrapAdmin(deps, { username: 'ROOT', password: 'another password' });
    expect(again).toEqual({ outcome: 'unchanged', userId: before.userId });
    const after = (await credentials().findByUsername('root'))!;
    expect(after.isAdmin).toBe(false);
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(await system.store.readStream(userStream(before.userId))).toHaveLength(1);
  });

  it('promotes a user that exists, keeping its password', async () => {
    const { userId } = await system.commands.registerUser({
      username: 'ops',
      email: 'ops@example.com',
      password: 'the ops password',
    });
    const { passwordHash } = (await credentials().findById(userId))!;
    expect(await bootstrapAdmin(deps, { username: 'ops', password: 'not the ops password' })).toEqual({
      outcome: 'promoted',
      userId,
    });
    expect(await credentials().findById(userId)).toMatchObject({ isAdmin: true, passwordHash });
    expect(await bootstrapAdmin(deps, { username: 'ops', password: 'x'.repeat(12) })).toMatchObject({
      outcome: 'unchanged',
    });
  });

  it('records a user that is an admin already', async () => {
    const { userId } = await system.commands.registerUser({
      username: 'boss',
      email: 'boss@example.com',
      password: 'the boss password',
      isAdmin: true,
    });
    expect(await bootstrapAdmin(deps, { username: 'boss', password: 'whatever it is' })).toEqual({
      outcome: 'already-admin',
      userId,
    });
  });

  it('makes the user once when several processes start together, with <username>@localhost by default', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        bootstrapAdmin(deps, { username: 'together', password: 'a long password' }),
      ),
    );
    expect(outcomes.map((o) => o.outcome).sort()).toEqual([
      'created',
      'unchanged',
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(new Set(outcomes.map((o) => o.userId)).size).toBe(1);
    expect(await credentials().findByUsername('together')).toMatchObject({
      email: 'together@localhost',
      isAdmin: true,
    });
    expect(await system.store.readStream(userStream(outcomes[0]!.userId))).toHaveLength(1);
  });
});
