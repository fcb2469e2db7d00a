/**
 * The runner's cache of folded context streams (organizations, for roles): each read is exact (to the stream's
 * end, whoever appended), reads only what was appended since the last one, and stays within its size.
 */
import { organizationDecider } from '../domain/organization/decider';
import { organizationStream } from '../domain/organization/events';
import type { ReadStreamOptions } from '../eventstore/port';
import { createTestSystem, type TestSystem } from '../../test/support/system';
import { AggregateRunner } from './aggregate-runner';

describe("the runner's cache of context streams", () => {
  let system: TestSystem;
  const reads: Array<{ streamId: string; options: ReadStreamOptions | undefined; returned: number }> = [];

  beforeAll(async () => {
    system = await createTestSystem('tt_ctx');
  });
  afterAll(() => system.teardown());

  /** A runner over the same store whose stream reads are recorded. */
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
});
