/**
 * Project keys and labels on the command side, against PostgreSQL: keys are reserved in the organization's stream
 * (exact under concurrency, released when the creation fails after the reservation), labels live there too, and
 * issues take only the organization's labels.
 */
import { inMemoryCredentials, plainHasher } from '../../test/support/credentials';
import { createTestSystem, type TestSystem } from '../../test/support/system';
import { issueStream } from '../domain/issue/events';
import { organizationStream } from '../domain/organization/events';
import { IllegalStateError, ValidationError } from '../domain/shared/errors';
import type { EventStore } from '../eventstore/port';
import { type Commands, createCommands } from '.';

describe('project keys and labels on the command side', () => {
  let system: TestSystem;
  let commands: Commands;
  let owner: string;

  beforeAll(async () => {
    system = await createTestSystem('tt_cmd_keys');
    commands = system.commands;
    owner = (
      await commands.registerUser({
        username: `owner${Math.random().toString(36).slice(2, 8)}`,
        email: `owner${Math.random().toString(36).slice(2, 8)}@example.com`,
        password: 'correct horse battery',
      })
    ).userId;
  });
  afterAll(() => system.teardown());

  const organization = async () =>
    (await commands.createOrganization({ actorId: owner }, { name: 'Keys' })).organizationId;
  const reservations = async (organizationId: string) =>
    (await system.store.readStream(organizationStream(organizationId)))
      .filter((e) => e.type.startsWith('ProjectKey'))
      .map((e) => [e.type, (e.data as { key: string }).key]);

  it('gives projects created at once from the same name different keys: WEB, WEB2, …', async () => {
    const organizationId = await organization();
    const created = await Promise.all(
      Array.from({ length: 6 }, () =>
        commands.createProject({ actorId: owner }, { organizationId, name: 'Web' }),
      ),
    );
    const keys = created.map((c) => (c.events[0]!.data as { key: string }).key).sort();
    expect(keys).toEqual(['WEB', 'WEB2', 'WEB3', 'WEB4', 'WEB5', 'WEB6']);
    expect((await reservations(organizationId)).map(([, key]) => key).sort()).toEqual(keys);
  });

  it('answers a retried creation (same command id) with its first result, reserving nothing more', async () => {
    const organizationId = await organization();
    const context = { actorId: owner, commandId: `create-${Math.random()}` };
    const first = await commands.createProject(context, { organizationId, name: 'Once', key: 'ONCE' });
    const again = await commands.createProject(context, { organizationId, name: 'Once', key: 'ONCE' });
    expect(again.projectId).toBe(first.projectId);
    expect(again.position).toBe(first.position);
    expect(await reservations(organizationId)).toEqual([['ProjectKeyReserved', 'ONCE']]);
  });

  it('releases the key when the creation fails after its reservation', async () => {
    const organizationId = await organization();
    // The project's stream cannot be written: the organization's can (the command side uses only these two).
    const failing = {
      kind: system.store.kind,
      readStream: (...args: Parameters<EventStore['readStream']>) => system.store.readStream(...args),
      appendToStream: (...args: Parameters<EventStore['appendToStream']>) =>
        args[0].startsWith('project-')
          ? Promise.reject(new Error('the event store went away'))
          : system.store.appendToStream(...args),
    } as unknown as EventStore;
    const broken = createCommands({
      store: failing,
      credentials: inMemoryCredentials(),
      hasher: plainHasher,
      memberships: { count: async () => 0, limit: 10 },
    });
    await expect(
      broken.createProject({ actorId: owner }, { organizationId, name: 'Doomed', key: 'DOOM' }),
    ).rejects.toThrow(/went away/);
    expect(await reservations(organizationId)).toEqual([
      ['ProjectKeyReserved', 'DOOM'],
      ['ProjectKeyReleased', 'DOOM'],
    ]);
    const { events } = await commands.createProject(
      { actorId: owner },
      { organizationId, name: 'Again', key: 'doom' },
    );
    expect(events[0]!.data).toMatchObject({ key: 'DOOM' });
  });

  it('refuses a key the read models know of a project from before reservations', async () => {
    const organizationId = await organization();
    const withLegacy = createCommands({
      store: system.store,
      credentials: inMemoryCredentials(),
      hasher: plainHasher,
      memberships: { count: async () => 0, limit: 10 },
      projectKeysInUse: async () => [{ projectId: '0190a6f1-0000-7000-8000-00000000001e', key: 'OLD' }],
    });
    await expect(
      withLegacy.createProject({ actorId: owner }, { organizationId, name: 'Old', key: 'OLD' }),
    ).rejects.toBeInstanceOf(IllegalStateError);
    const { events } = await withLegacy.createProject({ actorId: owner }, { organizationId, name: 'Old' });
    expect(events[0]!.data).toMatchObject({ key: 'OLD2' });
  });

  it('labels issues with labels of their organization only, and takes a label off with releaseLabel once', async () => {
    const organizationId = await organization();
    const elsewhere = await organization();
    const { projectId } = await commands.createProject(
      { actorId: owner },
      { organizationId, name: 'Labelled' },
    );
    const { labelId } = await commands.createLabel(
      { actorId: owner },
      { organizationId, name: 'Bug', color: '#FF0000' },
    );
    const foreign = await commands.createLabel(
      { actorId: owner },
      { organizationId: elsewhere, name: 'Bug', color: '#ff0000' },
    );
    const { issueId } = await commands.createIssue(
      { actorId: owner },
      { projectId, title: 'T', labelIds: [labelId] },
    );
    await expect(
      commands.updateIssue({ actorId: owner }, { issueId, labelIds: [labelId, foreign.labelId] }),
    ).rejects.toMatchObject({ errors: [{ path: 'labelIds' }] });
    await expect(
      commands.createLabel({ actorId: owner }, { organizationId, name: 'bug', color: '#000000' }),
    ).rejects.toBeInstanceOf(IllegalStateError);
    await expect(
      commands.createLabel({ actorId: owner }, { organizationId, name: 'x', color: 'red' }),
    ).rejects.toBeInstanceOf(ValidationError);

    await commands.deleteLabel({ actorId: owner }, { organizationId, labelId });
    const context = { actorId: owner, commandId: `release-${Math.random()}` };
    const released = await commands.releaseLabel(context, { issueId, labelId });
    expect(released.events.map((e) => e.type)).toEqual(['IssueLabelsChanged']);
    // Again, under the same command id or another: nothing more.
    await commands.releaseLabel(context, { issueId, labelId });
    expect((await commands.releaseLabel({ actorId: owner }, { issueId, labelId })).events).toEqual([]);
    const stream = await system.store.readStream(issueStream(issueId));
    expect(stream.map((e) => [e.type, e.metadata.schemaVersion])).toEqual([
      ['IssueCreated', 2],
      ['IssueLabelsChanged', 1],
    ]);
  });
});
