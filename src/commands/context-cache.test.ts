/**
 * The runner's cache of folded context streams (organizations, for roles): each read is exact (to the stream's
 * end, whoever appended), reads only what was appended since the last one, and stays within its size.
 */
import { organizationDecider } from '../domain/organization/decider';
import { organizationStream } from '../domain/organization/events';
import { DomainError } from '../domain/shared/errors';
import { issueStream } from '../domain/issue/events';
import type { AppendOptions, EventData, ReadStreamOptions } from '../eventstore/port';
import { createTestSystem, type TestSystem } from '../../test/support/system';
import { AggregateRunner } from './aggregate-runner';
import { uuidv7 } from './ids';
import { createIssue, updateIssue } from './issues';

describe("the runner's cache of context streams", () => {
  let system: TestSystem;
  const reads: Array<{ streamId: string; options: ReadStreamOptions | undefined; returned: number }> = [];

  beforeAll(async () => {
    system = await createTestSystem('tt_ctx');
  });
  afterAll(() => system.teardown());

  const appends: Array<{ streamId: string; options: AppendOptions | undefined }> = [];
  /** Runs before each append the runner makes (another process's change, say). */
  let beforeAppend: (() => Promise<unknown>) | null = null;

  /** A runner over the same store whose stream reads and appends are recorded. */
  const observedRunner = (contextCacheSize?: number) =>
    new AggregateRunner(
      {
        ...system.store,
        kind: system.store.kind,
        readStream: async (streamId: string, options?: ReadStreamOptions) => {
          const events = await system.store.readStream(streamId, options);
          reads.push({ streamId, options, returned: events.length });
          return events;
        },
        appendToStream: async (streamId: string, events: readonly EventData[], options?: AppendOptions) => {
          const before = beforeAppend;
          beforeAppend = null;
          await before?.();
          appends.push({ streamId, options });
          return system.store.appendToStream(streamId, events, options);
        },
      } as typeof system.store,
      { contextCacheSize },
    );

  const register = async (name: string) =>
    (
      await system.commands.registerUser({
        username: `${name}${Math.random().toString(36).slice(2, 8)}`,
        email: `${name}${Math.random().toString(36).slice(2, 8)}@example.com`,
        password: 'correct horse battery',
      })
    ).userId;

  it('is exact after appends by others, reading only the new events', async () => {
    const owner = await register('owner');
    const { organizationId } = await system.commands.createOrganization(
      { actorId: owner },
      { name: 'Cached' },
    );
    const stream = organizationStream(organizationId);
    const runner = observedRunner();
    const people = await Promise.all([register('a'), register('b'), register('c')]);
    for (const userId of people)
      await system.commands.addMember({ actorId: owner }, { organizationId, userId, role: 'member' });

    reads.length = 0;
    const first = await runner.current(organizationDecider, stream);
    expect(first.revision).toBe(3);
    expect([...first.state.members.keys()].sort()).toEqual([owner, ...people].sort());
    expect(reads).toEqual([{ streamId: stream, options: {}, returned: 4 }]);

    // Another process changes the organization: the next read sees it, reading from where the cache was.
    await system.commands.changeMemberRole(
      { actorId: owner },
      { organizationId, userId: people[0]!, role: 'manager' },
    );
    await system.commands.removeMember({ actorId: owner }, { organizationId, userId: people[1]! });
    reads.length = 0;
    const second = await runner.current(organizationDecider, stream);
    expect(second.revision).toBe(5);
    expect(second.state.members.get(people[0]!)).toBe('manager');
    expect(second.state.members.has(people[1]!)).toBe(false);
    expect(reads).toEqual([{ streamId: stream, options: { fromRevision: 4 }, returned: 2 }]);
    // The state it hands out is the fold of the whole stream.
    expect(second.state).toEqual((await runner.load(organizationDecider, stream)).state);

    reads.length = 0;
    expect(await runner.current(organizationDecider, stream)).toEqual(second);
    expect(reads).toEqual([{ streamId: stream, options: { fromRevision: 6 }, returned: 0 }]);
  });

  it('keeps at most its size, the most recently used, and never caches a stream that does not exist', async () => {
    const owner = await register('many');
    const runner = observedRunner(2);
    const streams: string[] = [];
    for (const name of ['One', 'Two', 'Three']) {
      const { organizationId } = await system.commands.createOrganization({ actorId: owner }, { name });
      streams.push(organizationStream(organizationId));
    }
    for (const stream of streams) await runner.current(organizationDecider, stream);
    reads.length = 0;
    await runner.current(organizationDecider, streams[0]!); // evicted: read whole
    await runner.current(organizationDecider, streams[2]!); // kept: read from its revision
    expect(reads.map((r) => r.options)).toEqual([{}, { fromRevision: 1 }]);

    const missing = organizationStream('0190a6f1-0000-7000-8000-0000000000ff');
    reads.length = 0;
    expect((await runner.current(organizationDecider, missing)).revision).toBe(-1);
    expect((await runner.current(organizationDecider, missing)).state.exists).toBe(false);
    expect(reads.map((r) => r.options)).toEqual([{}, {}]);
  });

  describe('inside a command, a cached context is not read: the append checks it', () => {
    const organizationWithProject = async () => {
      const owner = await register('boss');
      const member = await register('dev');
      const { organizationId } = await system.commands.createOrganization(
        { actorId: owner },
        { name: 'Checked' },
      );
      await system.commands.addMember({ actorId: owner }, { organizationId, userId: member, role: 'member' });
      const { projectId } = await system.commands.createProject(
        { actorId: owner },
        { organizationId, name: 'Web' },
      );
      return { owner, member, organizationId, projectId };
    };

    it('creates and changes issues without reading the organization or the project again', async () => {
      const { member, organizationId, projectId } = await organizationWithProject();
      const runner = observedRunner();
      await createIssue(runner, { actorId: member }, { projectId, title: 'first' });
      reads.length = 0;
      appends.length = 0;
      const { issueId } = await createIssue(runner, { actorId: member }, { projectId, title: 'second' });
      expect(reads).toEqual([]);
      expect(appends[0]!.options?.unchanged).toEqual([
        { streamId: `project-${projectId}`, revision: 0 },
        // Created, the member added, the project's key reserved.
        { streamId: organizationStream(organizationId), revision: 2 },
      ]);
      reads.length = 0;
      await updateIssue(runner, { actorId: member }, { issueId, title: 'changed' });
      expect(reads.map((r) => r.streamId)).toEqual([issueStream(issueId)]);
    });

    /** A runner that has run one create, so it holds the organization and the project. */
    const warmedRunner = async (actor: 'owner' | 'member') => {
      const world = await organizationWithProject();
      const runner = observedRunner();
      await createIssue(runner, { actorId: world[actor] }, { projectId: world.projectId, title: 'warm-up' });
      return { ...world, runner };
    };

    /** A create that must be refused without anything appended to the new issue's stream. */
    const expectRefusedCreate = async (runner: AggregateRunner, actorId: string, projectId: string) => {
      const issueId = uuidv7();
      const refused = await createIssue(runner, { actorId }, { projectId, title: 'refused', issueId }).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(DomainError);
      expect(await system.store.readStream(issueStream(issueId))).toEqual([]);
    };

    it('refuses a member removed by another process since, appending nothing', async () => {
      const { owner, member, organizationId, projectId, runner } = await warmedRunner('member');
      await system.commands.removeMember({ actorId: owner }, { organizationId, userId: member });
      await expectRefusedCreate(runner, member, projectId);
    });

    it('does not refuse a member added by another process since', async () => {
      const { owner, organizationId, projectId, runner } = await warmedRunner('owner');
      const newcomer = await register('new');
      await system.commands.addMember(
        { actorId: owner },
        { organizationId, userId: newcomer, role: 'member' },
      );
      const { issueId } = await createIssue(
        runner,
        { actorId: newcomer },
        { projectId, title: 'by the newcomer' },
      );
      expect((await system.store.readStream(issueStream(issueId))).map((e) => e.type)).toEqual([
        'IssueCreated',
      ]);
    });

    it('decides again when the organization moves between the decision and the append', async () => {
      const { owner, member, organizationId, projectId, runner } = await warmedRunner('member');
      appends.length = 0;
      beforeAppend = () =>
        system.commands.removeMember({ actorId: owner }, { organizationId, userId: member });
      await expectRefusedCreate(runner, member, projectId);
      // One append, refused by its condition; the decision on the organization read afresh appends nothing.
      expect(appends).toHaveLength(1);

      // And a change that does not concern the actor only costs a second decision.
      const other = await register('other');
      beforeAppend = async () =>
        void (await system.commands.addMember(
          { actorId: owner },
          { organizationId, userId: other, role: 'member' },
        ));
      appends.length = 0;
      const created = await createIssue(runner, { actorId: owner }, { projectId, title: 'raced again' });
      expect(appends).toHaveLength(2);
      expect(appends[1]!.options?.unchanged).toEqual([]);
      expect((await system.store.readStream(issueStream(created.issueId))).map((e) => e.type)).toEqual([
        'IssueCreated',
      ]);
    });
  });
});
