import { randomUUID } from 'node:crypto';
import { applyBatch } from '../../../test/support/read-models/batches';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { UPCASTERS } from '../../domain/upcasters';
import { upcasterChain } from '../../eventstore/upcasting';
import { indexesOf } from '../runner/rebuild/catalog';
import { rebuildProjection } from '../runner/rebuild/rebuild-projection';
import { usernamesOf } from '../users/usernames';
import {
  eventLogProjection,
  type EventLogRow,
  iterateEvents,
  type LoggedEvent,
  listEvents,
  presentEvent,
} from '.';

const collect = async (events: AsyncIterable<LoggedEvent>): Promise<LoggedEvent[]> => {
  const all: LoggedEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
};

describe('event index read model', () => {
  const bed = useReadModelTestbed('tt_rm_event_log');
  const ids = {} as { ada: string; bob: string; acme: string; other: string; web: string; issue: string };

  beforeAll(async () => {
    const { world } = bed;
    const users = await world.registerAll('ada', 'bob');
    Object.assign(ids, users);
    ids.acme = await world.createOrganization(users.ada, 'Acme');
    ids.other = await world.createOrganization(users.bob, 'Other');
    await world.addMember(users.ada, ids.acme, users.bob, 'manager');
    await world.renameOrganization(users.ada, ids.acme, 'Acme Inc');
    ids.web = await world.createProject(users.bob, ids.acme, 'Web');
    ids.issue = await world.createIssue(users.bob, ids.web, { title: 'Fix the login' });
    await world.updateIssue(users.ada, ids.issue, { status: 'in_progress' });
    await world.createProject(users.bob, ids.other, 'Elsewhere');
    await bed.catchUp();
  });

  const rows = async (): Promise<EventLogRow[]> =>
    (await bed.knex.raw<{ rows: EventLogRow[] }>('SELECT * FROM event_log ORDER BY position')).rows;

  it('holds one row per event of the log, in log order, with the organization each names', async () => {
    const all = await bed.store.readAll();
    const indexed = await rows();
    expect(indexed.map((r) => r.position)).toEqual(all.map((e) => e.position));
    const organizationOf = new Map(
      (await bed.knex('event_log').select('position', 'organization_id')).map((r) => [
        r.position,
        r.organization_id,
      ]),
    );
    for (const event of all) {
      const expected =
        event.type === 'UserRegistered' ? null : (event.data as { organizationId: string }).organizationId;
      expect(organizationOf.get(event.position)).toBe(expected);
    }
  });

  it('changes nothing when a batch is applied again', async () => {
    const before = await rows();
    await applyBatch(bed.knex, await bed.store.readAll(), { projections: [eventLogProjection] });
    expect(await rows()).toEqual(before);
  });

  it("lists an organization's events newest first in keyset pages, and nothing of another", async () => {
    const first = await listEvents(bed.knex, { organization: ids.acme, newestFirst: true }, { limit: 2 });
    expect(first.results.map((e) => e.type)).toEqual(['IssueStatusChanged', 'IssueCreated']);
    const rest = await listEvents(
      bed.knex,
      { organization: ids.acme, newestFirst: true },
      { limit: 100, cursor: first.nextCursor },
    );
    expect(rest.results.map((e) => e.type)).toEqual([
      'ProjectCreated',
      'ProjectKeyReserved',
      'OrganizationRenamed',
      'MemberAdded',
      'OrganizationCreated',
    ]);
    expect(rest.nextCursor).toBeNull();
    expect(
      rest.results.every((e) => (e.data as { organizationId: string }).organizationId === ids.acme),
    ).toBe(true);
  });

  it('filters by type (any of several), actor, stream and time, oldest first by default', async () => {
    const byTypes = await listEvents(bed.knex, { types: ['MemberAdded', 'ProjectCreated'] });
    expect(byTypes.results.map((e) => e.type)).toEqual(['MemberAdded', 'ProjectCreated', 'ProjectCreated']);
    const byAda = await listEvents(bed.knex, { actor: ids.ada });
    expect(new Set(byAda.results.map((e) => e.actor?.username))).toEqual(new Set(['ada']));
    expect(byAda.results.map((e) => e.type)).toEqual([
      'UserRegistered',
      'OrganizationCreated',
      'MemberAdded',
      'OrganizationRenamed',
      'IssueStatusChanged',
    ]);
    const stream = await listEvents(bed.knex, { stream: `issue-${ids.issue}` });
    expect(stream.results.map((e) => [e.revision, e.type])).toEqual([
      [0, 'IssueCreated'],
      [1, 'IssueStatusChanged'],
    ]);
    const created = stream.results[0]!.occurred_at;
    const later = await listEvents(bed.knex, { occurredAfter: created });
    expect(later.results.map((e) => e.type)).toEqual([
      'IssueStatusChanged',
      'ProjectKeyReserved',
      'ProjectCreated',
    ]);
    const from = await listEvents(bed.knex, {
      occurredFrom: created,
      occurredBefore: later.results[1]!.occurred_at,
    });
    expect(from.results.map((e) => e.type)).toEqual(['IssueCreated', 'IssueStatusChanged']);
  });

  it('refuses bad times, positions and cursors naming the field, and matches nothing for ids that are not UUIDs', async () => {
    await expect(listEvents(bed.knex, { occurredAfter: 'yesterday' })).rejects.toMatchObject({
      errors: [{ path: 'after', message: expect.any(String) }],
    });
    await expect(listEvents(bed.knex, { afterPosition: '12' })).rejects.toMatchObject({
      errors: [{ path: 'after', message: expect.any(String) }],
    });
    const desc = await listEvents(bed.knex, { newestFirst: true }, { limit: 1 });
    await expect(listEvents(bed.knex, {}, { cursor: desc.nextCursor })).rejects.toMatchObject({
      errors: [{ path: 'cursor', message: expect.any(String) }],
    });
    expect((await listEvents(bed.knex, { actor: 'nobody' })).results).toEqual([]);
    expect((await listEvents(bed.knex, { organization: randomUUID() })).results).toEqual([]);
    expect((await listEvents(bed.knex, { types: [] })).results).toEqual([]);
  });

  it('iterates the same events as the pages, batch by batch, from a position', async () => {
    const pages = await listEvents(bed.knex, {}, { limit: 100 });
    expect(await collect(iterateEvents(bed.knex, {}, { batchSize: 3 }))).toEqual(pages.results);
    const third = pages.results[2]!.position;
    const after = await collect(iterateEvents(bed.knex, { afterPosition: third }, { batchSize: 2 }));
    expect(after).toEqual(pages.results.slice(3));
    const between = { afterPosition: third, beforePosition: pages.results[5]!.position };
    expect(await collect(iterateEvents(bed.knex, between))).toEqual(pages.results.slice(3, 5));
    const filtered = await collect(iterateEvents(bed.knex, { organization: ids.acme, newestFirst: true }));
    expect(filtered).toEqual(
      (await listEvents(bed.knex, { organization: ids.acme, newestFirst: true })).results,
    );
  });

  it('presents an event with its actor, metadata and position', async () => {
    const [created] = (await listEvents(bed.knex, { types: ['OrganizationCreated'], organization: ids.acme }))
      .results;
    const stored = (await bed.store.readStream(`organization-${ids.acme}`))[0]!;
    expect(created).toEqual({
      position: stored.position,
      stream: `organization-${ids.acme}`,
      revision: 0,
      id: stored.eventId,
      type: 'OrganizationCreated',
      occurred_at: new Date(stored.metadata.occurredAt).toISOString(),
      recorded_at: stored.recordedAt.toISOString(),
      actor: { id: ids.ada, username: 'ada' },
      correlation_id: stored.metadata.correlationId,
      causation_id: stored.metadata.causationId,
      command_id: stored.metadata.commandId,
      schema_version: 1,
      data: stored.data,
    });
  });

  it('upcasts when read, so an upcaster added after indexing still applies', async () => {
    const [row] = (
      await bed.knex.raw<{ rows: EventLogRow[] }>(`SELECT * FROM event_log WHERE type = 'IssueStatusChanged'`)
    ).rows;
    const names = await usernamesOf(bed.knex, [ids.ada]);
    const later = upcasterChain([
      ...UPCASTERS,
      {
        type: 'IssueStatusChanged',
        fromSchemaVersion: 1,
        upcast: (data) => ({ type: 'IssueStatusChanged', data: { ...(data as object), reason: null } }),
      },
    ]);
    const shown = presentEvent(row!, names, later);
    expect(shown.schema_version).toBe(2);
    expect(shown.data).toEqual({ ...(row!.data as object), reason: null });
    expect(presentEvent(row!, names).schema_version).toBe(1);
  });

  it('is rebuilt from the log into the same rows and the same indexes, partial ones included', async () => {
    const [before, indexes] = [await rows(), await indexesOf(bed.knex, 'event_log')];
    expect(indexes.map((i) => i.name).sort()).toEqual([
      'event_log_actor',
      'event_log_occurred',
      'event_log_organization',
      'event_log_pkey',
      'event_log_stream',
      'event_log_type',
    ]);
    await rebuildProjection({ store: bed.store, knex: bed.knex, projection: eventLogProjection });
    expect(await rows()).toEqual(before);
    expect(await indexesOf(bed.knex, 'event_log')).toEqual(indexes);
  });
});
