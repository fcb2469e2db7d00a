import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../domain';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { useFixture } from '../../../test/support/suite';
import { issueAsOf, parseAsOf } from './as-of';
import { getIssue } from './get';
import { issueHistory } from './history';

describe('issue history and as_of', () => {
  const bed = useReadModelTestbed('tt_rm_history');
  /** Positions after creation, after the first PATCH, after the second PATCH. */
  const positions: string[] = [];

  const given = useFixture(async () => {
    const w = bed.world;
    const { olivia, max, outsider } = await w.registerAll('olivia', 'max', 'outsider');
    const acme = await w.createOrganization(olivia, 'Acme');
    await w.addMember(olivia, acme, max);
    const project = await w.createProject(olivia, acme, 'Apollo');
    w.clock = Date.parse('2025-03-01T10:00:00.000Z');
    const issueId = await w.createIssue(olivia, project, { title: 'Draft', description: 'first words' });
    positions.push(w.lastPosition!);
    w.clock = Date.parse('2025-03-02T10:00:00.000Z');
    await w.updateIssue(max, issueId, { title: 'Final', status: 'in_progress', assigneeId: max });
    positions.push(w.lastPosition!);
    w.clock = Date.parse('2025-03-03T10:00:00.000Z');
    await w.updateIssue(olivia, issueId, { priority: 'critical', dueDate: '2025-04-01', assigneeId: null });
    positions.push(w.lastPosition!);
    await bed.catchUp();
    return { olivia, max, outsider, issueId };
  });

  it('lists the issue events in order with actors and changes in API field names', async () => {
    const page = await issueHistory(bed.knex, bed.store, given.issueId, given.max);
    expect(page?.nextCursor).toBeNull();
    const entries = page!.results;
    expect(entries.map((e) => [e.type, e.actor?.username, e.changes])).toEqual([
      [
        'IssueCreated',
        'olivia',
        {
          key: [null, 'APOLLO-1'],
          title: [null, 'Draft'],
          description: [null, 'first words'],
          status: [null, 'open'],
          priority: [null, 'medium'],
          due_date: [null, null],
          assigned_to: [null, null],
          labels: [null, []],
        },
      ],
      ['IssueTitleChanged', 'max', { title: ['Draft', 'Final'] }],
      ['IssueStatusChanged', 'max', { status: ['open', 'in_progress'] }],
      ['IssueAssigned', 'max', { assigned_to: [null, { id: given.max, username: 'max' }] }],
      ['IssuePriorityChanged', 'olivia', { priority: ['medium', 'critical'] }],
      ['IssueDueDateChanged', 'olivia', { due_date: [null, '2025-04-01'] }],
      ['IssueUnassigned', 'olivia', { assigned_to: [{ id: given.max, username: 'max' }, null] }],
    ]);
    expect(entries[0]).toMatchObject({
      position: positions[0],
      occurred_at: '2025-03-01T10:00:00.000Z',
      actor: { id: given.olivia },
    });
    expect(entries[3]?.position).toBe(positions[1]);
    expect(entries.map((e) => e.position)).toEqual([...entries.map((e) => e.position)].sort());
  });

  it('pages the history by cursor', async () => {
    const first = await issueHistory(bed.knex, bed.store, given.issueId, given.max, { limit: 4 });
    const second = await issueHistory(bed.knex, bed.store, given.issueId, given.max, {
      limit: 4,
      cursor: first?.nextCursor,
    });
    expect(first?.results).toHaveLength(4);
    expect(second?.results.map((e) => e.type)).toEqual([
      'IssuePriorityChanged',
      'IssueDueDateChanged',
      'IssueUnassigned',
    ]);
    expect(second?.nextCursor).toBeNull();
  });

  it('hides the history from non-members and unknown issues', async () => {
    expect(await issueHistory(bed.knex, bed.store, given.issueId, given.outsider)).toBeNull();
    expect(await issueHistory(bed.knex, bed.store, randomUUID(), given.max)).toBeNull();
    expect(await issueHistory(bed.knex, bed.store, 'x', given.max)).toBeNull();
  });

  it('shows the issue as it was at a position', async () => {
    const created = await issueAsOf(bed.knex, bed.store, given.issueId, given.max, positions[0]!);
    expect(created).toEqual({
      revision: 0,
      issue: expect.objectContaining({
        title: 'Draft',
        status: 'open',
        assigned_to: null,
        updated_at: '2025-03-01T10:00:00.000Z',
      }),
    });
    const patched = await issueAsOf(bed.knex, bed.store, given.issueId, given.max, positions[1]!);
    expect(patched?.issue).toMatchObject({
      title: 'Final',
      status: 'in_progress',
      assigned_to: { id: given.max, username: 'max' },
    });
    expect(patched?.revision).toBe(3);
    expect(await issueAsOf(bed.knex, bed.store, given.issueId, given.max, positions[2]!)).toEqual(
      await getIssue(bed.knex, given.issueId, given.max),
    );
  });

  it('shows the issue as it was at a time, and nothing before it existed', async () => {
    const early = await issueAsOf(bed.knex, bed.store, given.issueId, given.max, '2025-03-01T23:59:59Z');
    expect(early?.issue).toMatchObject({ title: 'Draft', created_at: '2025-03-01T10:00:00.000Z' });
    const later = await issueAsOf(bed.knex, bed.store, given.issueId, given.max, '2025-03-02T12:00:00+02:00');
    expect(later?.issue).toMatchObject({
      title: 'Final',
      priority: 'medium',
      updated_at: '2025-03-02T10:00:00.000Z',
    });
    expect(await issueAsOf(bed.knex, bed.store, given.issueId, given.max, '2025-03-01')).toBeNull();
    expect(
      await issueAsOf(bed.knex, bed.store, given.issueId, given.outsider, '2025-03-02T12:00:00Z'),
    ).toBeNull();
  });

  it('shows a deleted issue as it was before the deletion, and nothing after it', async () => {
    const w = bed.world;
    w.clock = Date.parse('2025-05-01T00:00:00.000Z');
    const doomed = await w.createIssue(
      given.max,
      (await getIssue(bed.knex, given.issueId, given.max))!.issue.project,
      {
        title: 'Doomed',
      },
    );
    w.clock = Date.parse('2025-05-02T00:00:00.000Z');
    await w.deleteIssue(given.max, doomed);
    await bed.catchUp();
    expect(await getIssue(bed.knex, doomed, given.max)).toBeNull();
    expect(
      (await issueAsOf(bed.knex, bed.store, doomed, given.max, '2025-05-01T12:00:00Z'))?.issue.title,
    ).toBe('Doomed');
    expect(await issueAsOf(bed.knex, bed.store, doomed, given.max, '2025-05-03T00:00:00Z')).toBeNull();
    const history = await issueHistory(bed.knex, bed.store, doomed, given.max);
    expect(history?.results.map((e) => [e.type, e.changes])).toEqual([
      ['IssueCreated', expect.any(Object)],
      ['IssueDeleted', {}],
    ]);
  });

  it('refuses an as_of that is neither a time nor a position', () => {
    expect(() => parseAsOf('yesterday')).toThrow(ValidationError);
    expect(() => parseAsOf('2025-02-30T00:00:00Z')).toThrow(ValidationError);
    expect(parseAsOf('2025-03-01')).toEqual({ time: Date.parse('2025-03-01T00:00:00Z') });
  });
});
