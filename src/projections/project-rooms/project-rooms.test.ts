import { randomUUID } from 'node:crypto';
import { feedSince } from '../activity/queries';
import { getIssue } from '../issues/get';
import { applyBatch, snapshot } from '../testing/driver';
import { readModelTestbed, type ReadModelTestbed } from '../testing/setup';
import { getProject, listProjects, projectAccess } from '../projects/queries';
import { START } from '../../eventstore/port';

describe('project rooms projection (projects, issues, feed, realtime messages)', () => {
  let bed: ReadModelTestbed;
  let olivia: string;
  let max: string;
  let outsider: string;
  let acme: string;

  beforeAll(async () => {
    bed = await readModelTestbed('tt_rm_rooms');
    olivia = await bed.world.register('olivia');
    max = await bed.world.register('max');
    outsider = await bed.world.register('outsider');
    acme = await bed.world.createOrganization(olivia, 'Acme');
    await bed.world.addMember(olivia, acme, max, 'member');
    await bed.catchUp();
  });

  afterAll(() => bed.close());

  it('sends issue.created with the issue exactly as GET /issues/{id} shows it', async () => {
    const project = await bed.world.createProject(olivia, acme, 'Apollo', 'to the moon');
    const issueId = await bed.world.createIssue(max, project, {
      title: 'Fix the pad',
      priority: 'high',
      dueDate: '2025-03-01',
      assigneeId: olivia,
    });
    const messages = await bed.catchUp();
    expect(messages).toHaveLength(1);
    const [sent] = messages;
    const fromGet = await getIssue(bed.knex, issueId, max);
    expect(fromGet?.revision).toBe(0);
    expect(sent).toEqual({
      room: `project:${project}`,
      position: bed.world.lastPosition,
      message: {
        type: 'issue.created',
        position: bed.world.lastPosition,
        occurred_at: fromGet?.issue.created_at,
        actor_id: max,
        issue_id: issueId,
        title: 'Fix the pad',
        project_id: project,
        issue: fromGet?.issue,
      },
    });
    expect(fromGet?.issue).toEqual({
      id: issueId,
      project,
      title: 'Fix the pad',
      description: '',
      status: 'open',
      priority: 'high',
      due_date: '2025-03-01',
      assigned_to: { id: olivia, username: 'olivia' },
      created_by: max,
      created_at: fromGet?.issue.created_at,
      updated_at: fromGet?.issue.created_at,
    });
    expect(await getIssue(bed.knex, issueId, outsider)).toBeNull();
  });

  it('sends one issue.updated per changed field, each with its changes and the issue after it', async () => {
    const project = await bed.world.createProject(olivia, acme, 'Gemini');
    const issueId = await bed.world.createIssue(olivia, project, { title: 'Old', assigneeId: max });
    await bed.catchUp();
    await bed.world.updateIssue(olivia, issueId, {
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
      { assigned_to: [{ id: max, username: 'max' }, null] },
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
    const now = await getIssue(bed.knex, issueId, max);
    expect(messages[3]?.message.issue).toEqual(now?.issue);
    expect(now?.revision).toBe(4);
  });

  it('deletes an issue with issue.deleted and keeps it gone when its events are replayed', async () => {
    const project = await bed.world.createProject(olivia, acme, 'Mercury');
    const issueId = await bed.world.createIssue(max, project, { title: 'Doomed' });
    const from = bed.world.lastPosition!;
    await bed.catchUp();
    await bed.world.deleteIssue(max, issueId);
    const [deleted] = await bed.catchUp();
    expect(deleted?.message).toEqual({
      type: 'issue.deleted',
      position: bed.world.lastPosition,
      occurred_at: expect.any(String),
      actor_id: max,
      issue_id: issueId,
      project_id: project,
    });
    expect(await getIssue(bed.knex, issueId, max)).toBeNull();
    const before = await snapshot(bed.knex);
    const replay = await bed.store.readAll({ fromPosition: START });
    expect(await applyBatch(bed.knex, replay)).toEqual([]);
    expect(await snapshot(bed.knex)).toEqual(before);
    expect(replay.some((e) => e.position === from)).toBe(true);
  });

  it('sends project.updated on a change and on archiving; archived projects leave lists but stay readable', async () => {
    const project = await bed.world.createProject(olivia, acme, 'Vostok', 'first');
    expect(await bed.catchUp()).toEqual([]);
    await bed.world.updateProject(olivia, project, { name: 'Vostok 1' });
    await bed.world.archiveProject(olivia, project);
    const messages = await bed.catchUp();
    expect(messages.map((m) => [m.room, m.message.type])).toEqual([
      [`project:${project}`, 'project.updated'],
      [`project:${project}`, 'project.updated'],
    ]);
    expect(messages[0]?.message.project).toMatchObject({
      id: project,
      organization: acme,
      name: 'Vostok 1',
      archived: false,
    });
    expect(messages[1]?.message.project).toEqual(await getProject(bed.knex, project, max));
    expect((await getProject(bed.knex, project, max))?.archived).toBe(true);
    const listed = await listProjects(bed.knex, max);
    expect(listed.results.map((p) => p.id)).not.toContain(project);
    expect(listed.results.map((p) => p.name)).toEqual(['Mercury', 'Gemini', 'Apollo']);
    expect(await getProject(bed.knex, project, outsider)).toBeNull();
    expect(await projectAccess(bed.knex, project, outsider)).toEqual({
      organizationId: acme,
      archived: true,
      role: null,
    });
    expect(await projectAccess(bed.knex, randomUUID(), max)).toBeNull();
  });

  it('keeps every message in the feed, so a socket resumes after a position with no gap and no duplicate', async () => {
    const project = await bed.world.createProject(olivia, acme, 'Soyuz');
    await bed.world.createIssue(max, project, { title: 'One' });
    const first = await bed.catchUp();
    const issueId = await bed.world.createIssue(max, project, { title: 'Two' });
    await bed.world.updateIssue(max, issueId, { priority: 'critical' });
    const later = await bed.catchUp();
    const since = first[first.length - 1]!.position;
    expect(await feedSince(bed.knex, project, since)).toEqual(later.map((m) => m.message));
    expect(await feedSince(bed.knex, project, START)).toEqual([...first, ...later].map((m) => m.message));
    expect(await feedSince(bed.knex, project, 'garbage')).toBeNull();
  });

  it('sends nothing while rebuilding, but still fills the feed', async () => {
    const project = await bed.world.createProject(olivia, acme, 'Shenzhou');
    await bed.world.createIssue(max, project, { title: 'Quiet' });
    const events = await bed.world.eventsAfter(START);
    await bed.knex.raw('TRUNCATE projects, issues, issue_tombstones, project_activity');
    expect(await applyBatch(bed.knex, events, { rebuilding: true })).toEqual([]);
    expect(await feedSince(bed.knex, project, START)).toHaveLength(1);
  });
});
