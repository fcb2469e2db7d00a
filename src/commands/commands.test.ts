import {
  ConcurrencyError,
  ForbiddenError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from '../domain/shared/errors';
import { issueStream } from '../domain/issue/events';
import { createTestSystem, type TestSystem } from '../../test/support/system';
import type { Commands } from '.';

describe('command handling against PostgreSQL', () => {
  let system: TestSystem;
  let commands: Commands;
  let owner: string;
  let member: string;
  let outsider: string;

  const register = async (name: string) =>
    (
      await commands.registerUser({
        username: `${name}${Math.random().toString(36).slice(2, 8)}`,
        email: `${name}${Math.random().toString(36).slice(2, 8)}@example.com`,
        password: 'correct horse battery',
      })
    ).userId;

  beforeAll(async () => {
    system = await createTestSystem('tt_cmd');
    commands = system.commands;
    owner = await register('owner');
    member = await register('member');
    outsider = await register('outsider');
  });
  afterAll(() => system.teardown());

  const organizationWithProject = async () => {
    const { organizationId } = await commands.createOrganization({ actorId: owner }, { name: 'Acme' });
    await commands.addMember({ actorId: owner }, { organizationId, userId: member, role: 'member' });
    const { projectId } = await commands.createProject(
      { actorId: owner },
      { organizationId, name: 'Tracker' },
    );
    return { organizationId, projectId };
  };

  describe('admin actions', () => {
    it("records an admin's action in their own stream, once per command id, on their behalf", async () => {
      const context = { commandId: '0190a6f1-0000-7000-8000-00000000ad01', correlationId: 'req-1' };
      const input = {
        adminId: owner,
        action: 'projection.rebuild_requested' as const,
        details: { projection: 'users' },
      };
      const first = await commands.recordAdminAction(input, context);
      const again = await commands.recordAdminAction(input, context);
      expect(again.position).toBe(first.position);
      const events = await system.store.readStream(`admin-${owner}`);
      expect(events.map((e) => [e.type, e.data, e.metadata.actorId, e.metadata.correlationId])).toEqual([
        [
          'AdminActionRecorded',
          { adminId: owner, action: 'projection.rebuild_requested', details: { projection: 'users' } },
          owner,
          'req-1',
        ],
      ]);
    });

    it('refuses an unknown action before appending anything', async () => {
      await expect(
        commands.recordAdminAction({ adminId: member, action: 'nope' as 'events.exported', details: {} }, {}),
      ).rejects.toThrow(ValidationError);
      expect(await system.store.readStream(`admin-${member}`)).toEqual([]);
    });
  });

  describe('users', () => {
    it('registers a user with credentials in their table and no secret in the event log', async () => {
      const { userId, position } = await commands.registerUser({
        username: 'Alice',
        email: 'alice@example.com',
        password: 'a long password',
      });
      expect(position).not.toBeNull();
      const [event] = await system.store.readStream(`user-${userId}`);
      expect(event).toMatchObject({
        type: 'UserRegistered',
        data: { userId, username: 'Alice', email: 'alice@example.com' },
      });
      expect(JSON.stringify(event)).not.toMatch(/password|scrypt/i);
      const { rows } = await system.pool.query(
        'SELECT password_hash FROM user_credentials WHERE user_id = $1',
        [userId],
      );
      expect(rows[0].password_hash).toMatch(/^scrypt\$/);
      expect(rows[0].password_hash).not.toContain('a long password');
    });

    it('refuses a taken username or email, case-insensitively, with IllegalStateError and leaves nothing behind', async () => {
      await commands.registerUser({ username: 'bob', email: 'bob@example.com', password: 'a long password' });
      await expect(
        commands.registerUser({ username: 'BOB', email: 'other@example.com', password: 'a long password' }),
      ).rejects.toMatchObject({ name: 'IllegalStateError', message: 'username is taken' });
      await expect(
        commands.registerUser({ username: 'bobby', email: 'Bob@Example.com', password: 'a long password' }),
      ).rejects.toMatchObject({ name: 'IllegalStateError', message: 'email is taken' });
      const { rows } = await system.pool.query(
        "SELECT count(*)::int AS n FROM user_credentials WHERE username ILIKE 'bob%'",
      );
      expect(rows[0].n).toBe(1);
    });

    it('refuses a short password and a bad email with ValidationError naming the field', async () => {
      await expect(
        commands.registerUser({ username: 'carol', email: 'carol@example.com', password: 'short' }),
      ).rejects.toMatchObject({
        errors: [{ path: 'password' }],
      });
      const error = await commands
        .registerUser({ username: 'carol', email: 'not-an-email', password: 'long enough' })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.errors).toEqual([expect.objectContaining({ path: 'email' })]);
      expect(
        (await system.pool.query("SELECT 1 FROM user_credentials WHERE username = 'carol'")).rowCount,
      ).toBe(0);
    });
  });

  describe('organizations', () => {
    it('adds members by id or username and refuses an unknown user on the field that named it', async () => {
      const { organizationId } = await commands.createOrganization({ actorId: owner }, { name: 'Org' });
      const alice = await register('alice');
      const { rows } = await system.pool.query('SELECT username FROM user_credentials WHERE user_id = $1', [
        alice,
      ]);
      const added = await commands.addMember(
        { actorId: owner },
        {
          organizationId,
          username: rows[0].username,
          role: 'manager',
        },
      );
      expect(added.userId).toBe(alice);
      await expect(
        commands.addMember(
          { actorId: owner },
          {
            organizationId,
            userId: '0190d7a6-0000-7000-8000-000000000000',
            role: 'member',
          },
        ),
      ).rejects.toMatchObject({ errors: [{ path: 'userId' }] });
      await expect(
        commands.addMember({ actorId: owner }, { organizationId, username: 'nobody-here', role: 'member' }),
      ).rejects.toMatchObject({
        errors: [{ path: 'username' }],
      });
    });

    it('keeps the organization to those who belong to it', async () => {
      const { organizationId } = await commands.createOrganization({ actorId: owner }, { name: 'Private' });
      await expect(
        commands.renameOrganization({ actorId: outsider }, { organizationId, name: 'Mine' }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('projects and issues', () => {
    it('takes the actor role and the assignee membership from the organization stream', async () => {
      const { projectId } = await organizationWithProject();
      await expect(
        commands.createProject(
          { actorId: member },
          { organizationId: (await organizationWithProject()).organizationId, name: 'X' },
        ),
      ).rejects.toBeInstanceOf(ForbiddenError);
      await expect(
        commands.createIssue({ actorId: outsider }, { projectId, title: 'Hidden' }),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        commands.createIssue({ actorId: member }, { projectId, title: 'Bad', assigneeId: outsider }),
      ).rejects.toMatchObject({
        errors: [{ path: 'assigneeId' }],
      });
      const { issueId, events } = await commands.createIssue(
        { actorId: member },
        { projectId, title: '  Fix it  ', assigneeId: owner },
      );
      expect(events[0]).toMatchObject({
        type: 'IssueCreated',
        data: { title: 'Fix it', assigneeId: owner, createdBy: member },
      });
      const stored = await system.store.readStream(issueStream(issueId));
      expect(stored[0]!.metadata).toMatchObject({ actorId: member, schemaVersion: 2 });
    });

    it('refuses an issue in an unknown project and in an archived one', async () => {
      const { projectId } = await organizationWithProject();
      await expect(
        commands.createIssue(
          { actorId: owner },
          { projectId: '0190d7a6-0000-7000-8000-00000000dead', title: 'T' },
        ),
      ).rejects.toBeInstanceOf(NotFoundError);
      await commands.archiveProject({ actorId: owner }, { projectId });
      await expect(
        commands.createIssue({ actorId: owner }, { projectId, title: 'Late' }),
      ).rejects.toBeInstanceOf(IllegalStateError);
    });

    it('records metadata: correlation, causation and command ids', async () => {
      const { projectId } = await organizationWithProject();
      const { issueId } = await commands.createIssue(
        {
          actorId: owner,
          commandId: `cmd-1-${Math.random()}`,
          correlationId: 'req-42',
          causationId: 'evt-7',
        },
        { projectId, title: 'Traced' },
      );
      const [event] = await system.store.readStream(issueStream(issueId));
      expect(event!.metadata).toMatchObject({
        correlationId: 'req-42',
        causationId: 'evt-7',
        actorId: owner,
      });
      expect(event!.metadata.commandId).toMatch(/^cmd-1-/);
      expect(Date.parse(event!.metadata.occurredAt)).not.toBeNaN();
    });

    it('appends nothing for a command that changes nothing', async () => {
      const { projectId } = await organizationWithProject();
      const { issueId } = await commands.createIssue({ actorId: owner }, { projectId, title: 'Same' });
      const result = await commands.updateIssue(
        { actorId: owner },
        {
          issueId,
          title: 'Same',
          status: 'open',
        },
      );
      expect(result).toMatchObject({ events: [], position: null, revision: 0 });
      expect(await system.store.readStream(issueStream(issueId))).toHaveLength(1);
    });

    it('retries concurrent commands from a fresh read so that all apply, one after another', async () => {
      const { projectId } = await organizationWithProject();
      const { issueId } = await commands.createIssue({ actorId: owner }, { projectId, title: 'Busy' });
      const titles = Array.from({ length: 12 }, (_, i) => `Title ${i}`);
      await Promise.all(titles.map((title) => commands.updateIssue({ actorId: member }, { issueId, title })));
      const events = await system.store.readStream(issueStream(issueId));
      expect(events).toHaveLength(13);
      expect(new Set(events.slice(1).map((e) => (e.data as { title: string }).title))).toEqual(
        new Set(titles),
      );
      // Each change names the title it replaced: they were decided one after another, never on a stale state.
      for (let i = 2; i < events.length; i++) {
        expect((events[i]!.data as { previousTitle: string }).previousTitle).toBe(
          (events[i - 1]!.data as { title: string }).title,
        );
      }
    });

    it('raises ConcurrencyError when the caller named a revision that is no longer current', async () => {
      const { projectId } = await organizationWithProject();
      const { issueId } = await commands.createIssue({ actorId: owner }, { projectId, title: 'V0' });
      await commands.updateIssue({ actorId: owner, expectedRevision: 0 }, { issueId, title: 'V1' });
      const error = await commands
        .updateIssue({ actorId: owner, expectedRevision: 0 }, { issueId, title: 'V2' })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ expectedRevision: 0, actualRevision: 1 });
      expect(await system.store.readStream(issueStream(issueId))).toHaveLength(2);
    });

    it('with a named revision, of many concurrent writers exactly one applies and the rest get ConcurrencyError', async () => {
      const { projectId } = await organizationWithProject();
      const { issueId } = await commands.createIssue({ actorId: owner }, { projectId, title: 'Race' });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          commands.updateIssue({ actorId: owner, expectedRevision: 0 }, { issueId, title: `R${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
    });

    it('returns the first result for a retried command id without appending twice', async () => {
      const { projectId } = await organizationWithProject();
      const commandId = `create-${Math.random()}`;
      const first = await commands.createIssue(
        { actorId: owner, commandId },
        { projectId, title: 'Once', issueId: undefined },
      );
      const { issueId } = first;
      const update = `update-${Math.random()}`;
      const a = await commands.updateIssue(
        { actorId: owner, commandId: update },
        {
          issueId,
          title: 'Twice?',
          priority: 'high',
        },
      );
      await commands.updateIssue({ actorId: owner }, { issueId, status: 'done' });
      const b = await commands.updateIssue(
        { actorId: owner, commandId: update },
        {
          issueId,
          title: 'Twice?',
          priority: 'high',
        },
      );
      expect(b).toEqual(a);
      expect(b.events.map((e) => e.type)).toEqual(['IssueTitleChanged', 'IssuePriorityChanged']);
      expect(await system.store.readStream(issueStream(issueId))).toHaveLength(4);
      // The same creation retried with its command id and the same new id appends nothing either.
      const again = await commands.createIssue(
        { actorId: owner, commandId },
        { projectId, title: 'Once', issueId },
      );
      expect(again.position).toBe(first.position);
    });

    it('lets the creator, an owner or a manager delete, and refuses another member', async () => {
      const { projectId } = await organizationWithProject();
      const { issueId } = await commands.createIssue({ actorId: owner }, { projectId, title: 'Doomed' });
      await expect(commands.deleteIssue({ actorId: member }, { issueId })).rejects.toBeInstanceOf(
        ForbiddenError,
      );
      await commands.deleteIssue({ actorId: owner }, { issueId });
      await expect(
        commands.updateIssue({ actorId: owner }, { issueId, title: 'Ghost' }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
