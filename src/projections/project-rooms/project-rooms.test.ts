import { randomUUID } from 'node:crypto';
import { feedSince } from '../activity/queries';
import { getIssue } from '../issues/get';
import { applyBatch, snapshot } from '../../../test/support/read-models/batches';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { useFixture } from '../../../test/support/suite';
import { getProject, listProjects, projectAccess } from '../projects/queries';
import { START } from '../../eventstore/port';

describe('project rooms projection (projects, issues, feed, realtime messages)', () => {
  const bed = useReadModelTestbed('tt_rm_rooms');

  const given = useFixture(async () => {
    const { olivia, max, outsider } = await bed.world.registerAll('olivia', 'max', 'outsider');
    const acme = await bed.world.createOrganization(olivia, 'Acme');
    await bed.world.addMember(olivia, acme, max, 'member');
    await bed.catchUp();
    return { olivia, max, outsider, acme };
  });

  it('applies a batch of creations with two statements of its own: one read and one write', async () => {
    // An organization of its own: the other tests list the team's projects.
    const counted = await bed.world.createOrganization(given.olivia, 'Counted');
    const project = await bed.world.createProject(given.olivia, counted, 'Batched', '');
    await bed.catchUp();
    for (const n of [1, 2, 3, 4, 5])
      await bed.world.createIssue(given.olivia, project, { title: `Batched ${n}`, assigneeId: given.olivia });
    const mine =
      /"(projects|issues|issue_tombstones|issue_comments|project_activity|labels|issue_watchers|attachments|users)"/;
    const sent: string[] = [];
    const log = (query: { sql: string }) => {
      if (mine.test(query.sql)) sent.push(query.sql);
    };
    bed.knex.on('query', log);
    try {
      expect(await bed.catchUp()).toHaveLength(5);
    } finally {
      bed.knex.off('query', log);
    }
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^SELECT \(SELECT coalesce\(json_agg/);
    expect(sent[1]).toMatch(/^WITH w0 AS \(/);
    expect(sent[1]).toMatch(/INSERT INTO "issues"/);
    expect(sent[1]).toMatch(/INSERT INTO "project_activity"/);
  });

  it('sends issue.created with the issue exactly as GET /issues/{id} shows it', async () => {
    const project = await bed.world.createProject(given.olivia, given.acme, 'Apollo', 'to the moon');
    const issueId = await bed.world.createIssue(given.max, project, {
      title: 'Fix the pad',
      priority: 'high',
      dueDate: '2025-03-01',
      assigneeId: given.olivia,
    });
    const messages = await bed.catchUp();
    expect(messages).toHaveLength(1);
    const [sent] = messages;
    const fromGet = await getIssue(bed.knex, issueId, given.max);
    expect(fromGet?.revision).toBe(0);
    expect(sent).toEqual({
      room: `project:${project}`,
      position: bed.world.lastPosition,
      message: {
        type: 'issue.created',
        position: bed.world.lastPosition,
        occurred_at: fromGet?.issue.created_at,
        actor_id: given.max,
        issue_id: issueId,
        title: 'Fix the pad',
        project_id: project,
        // A room's members share its messages: `watching` is each caller's own, read by REST.
        issue: { ...fromGet?.issue, watching: null },
      },
    });
    expect(fromGet?.issue).toEqual({
      id: issueId,
      key: 'APOLLO-1',
      project,
      title: 'Fix the pad',
      description: '',
      status: 'open',
      priority: 'high',
      due_date: '2025-03-01',
      assigned_to: { id: given.olivia, username: 'olivia' },
      created_by: given.max,
      created_at: fromGet?.issue.created_at,
      updated_at: fromGet?.issue.created_at,
      labels: [],
      comment_count: 0,
      watching: true,
      attachments: [],
    });
    expect(await getIssue(bed.knex, issueId, given.outsider)).toBeNull();
  });

  it('sends one issue.updated per changed field, each with its changes and the issue after it', async () => {
    const project = await bed.world.createProject(given.olivia, given.acme, 'Gemini');
    const issueId = await bed.world.createIssue(given.olivia, project, {
      title: 'Old',
      assigneeId: given.max,
    });
    await bed.catchUp();
    await bed.world.updateIssue(given.olivia, issueId, {
      title: 'New',
      status: 'blocked',
      assigneeId: null,
      dueDate: '2025-05-05',
    });
    const messages = await bed.catchUp();
    expect(messages.map((m) => m.message.type)).toEqual([
      'issue.updated',
      'issue.updated',
      'issue.updated',
      'issue.updated',
    ]);
    expect(messages.map((m) => m.message.changes)).toEqual([
      { title: ['Old', 'New'] },
      { status: ['open', 'blocked'] },
      { due_date: [null, '2025-05-05'] },
      { assigned_to: [{ id: given.max, username: 'max' }, null] },
    ]);
    expect(messages[0]?.message).toMatchObject({
      title: 'New',
      status: 'open',
      issue: { title: 'New', status: 'open' },
    });
    expect(messages[1]?.message).toMatchObject({
      status: 'blocked',
      issue: { status: 'blocked', due_date: null },
    });
    const positions = messages.map((m) => m.position);
    expect([...positions].sort()).toEqual(positions);
    const now = await getIssue(bed.knex, issueId, given.max);
    expect(messages[3]?.message.issue).toEqual({ ...now?.issue, watching: null });
    expect(now?.revision).toBe(4);
  });

  it('deletes an issue with issue.deleted and keeps it gone when its events are replayed', async () => {
    const project = await bed.world.createProject(given.olivia, given.acme, 'Mercury');
    const issueId = await bed.world.createIssue(given.max, project, { title: 'Doomed' });
    const from = bed.world.lastPosition!;
    await bed.catchUp();
    await bed.world.deleteIssue(given.max, issueId);
    const [deleted] = await bed.catchUp();
    expect(deleted?.message).toEqual({
      type: 'issue.deleted',
      position: bed.world.lastPosition,
      occurred_at: expect.any(String),
      actor_id: given.max,
      issue_id: issueId,
      project_id: project,
    });
    expect(await getIssue(bed.knex, issueId, given.max)).toBeNull();
    const before = await snapshot(bed.knex);
    const replay = await bed.store.readAll({ fromPosition: START });
    expect(await applyBatch(bed.knex, replay)).toEqual([]);
    expect(await snapshot(bed.knex)).toEqual(before);
    expect(replay.some((e) => e.position === from)).toBe(true);
  });

  it('sends project.updated on a change and on archiving; archived projects leave lists but stay readable', async () => {
    const project = await bed.world.createProject(given.olivia, given.acme, 'Vostok', 'first');
    expect(await bed.catchUp()).toEqual([]);
    await bed.world.updateProject(given.olivia, project, { name: 'Vostok 1' });
    await bed.world.archiveProject(given.olivia, project);
    const messages = await bed.catchUp();
    expect(messages.map((m) => [m.room, m.message.type])).toEqual([
      [`project:${project}`, 'project.updated'],
      [`project:${project}`, 'project.updated'],
    ]);
    expect(messages[0]?.message.project).toMatchObject({
      id: project,
      organization: given.acme,
      name: 'Vostok 1',
      archived: false,
    });
    expect(messages[1]?.message.project).toEqual(await getProject(bed.knex, project, given.max));
    expect((await getProject(bed.knex, project, given.max))?.archived).toBe(true);
    const listed = await listProjects(bed.knex, given.max);
    expect(listed.results.map((p) => p.id)).not.toContain(project);
    expect(listed.results.map((p) => p.name)).toEqual(['Mercury', 'Gemini', 'Apollo']);
    expect(await getProject(bed.knex, project, given.outsider)).toBeNull();
    expect(await projectAccess(bed.knex, project, given.outsider)).toEqual({
      organizationId: given.acme,
      archived: true,
      role: null,
    });
    expect(await projectAccess(bed.knex, randomUUID(), given.max)).toBeNull();
  });

  it('keeps every message in the feed, so a socket resumes after a position with no gap and no duplicate', async () => {
    const project = await bed.world.createProject(given.olivia, given.acme, 'Soyuz');
    await bed.world.createIssue(given.max, project, { title: 'One' });
    const first = await bed.catchUp();
    const issueId = await bed.world.createIssue(given.max, project, { title: 'Two' });
    await bed.world.updateIssue(given.max, issueId, { priority: 'critical' });
    const later = await bed.catchUp();
    const since = first[first.length - 1]!.position;
    expect(await feedSince(bed.knex, project, since)).toEqual(later.map((m) => m.message));
    expect(await feedSince(bed.knex, project, START)).toEqual([...first, ...later].map((m) => m.message));
    expect(await feedSince(bed.knex, project, 'garbage')).toBeNull();
  });

  it('sends nothing while rebuilding, but still fills the feed', async () => {
    const project = await bed.world.createProject(given.olivia, given.acme, 'Shenzhou');
    await bed.world.createIssue(given.max, project, { title: 'Quiet' });
    const events = await bed.eventsAfter(START);
    await bed.knex.raw('TRUNCATE projects, issues, issue_tombstones, project_activity');
    expect(await applyBatch(bed.knex, events, { rebuilding: true })).toEqual([]);
    expect(await feedSince(bed.knex, project, START)).toHaveLength(1);
  });
});
