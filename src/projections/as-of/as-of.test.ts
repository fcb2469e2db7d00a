import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { useFixture } from '../../../test/support/suite';
import { membersThen, organizationAsOf } from './organization';
import { projectAsOf } from './project';
import { AsOfTooLargeError, projectIssuesAsOf } from './project-issues';

describe('organizations, projects and project issue lists as they were', () => {
  const bed = useReadModelTestbed('tt_rm_as_of');
  const at = (day: number) => `2025-06-${String(day).padStart(2, '0')}T12:00:00.000Z`;

  const given = useFixture(async () => {
    const w = bed.world;
    const { olivia, max, nina, outsider } = await w.registerAll('olivia', 'max', 'nina', 'outsider');
    w.clock = Date.parse(at(1));
    const acme = await w.createOrganization(olivia, 'Acme');
    await w.addMember(olivia, acme, max, 'manager');
    w.clock = Date.parse(at(3));
    await w.renameOrganization(olivia, acme, 'Acme Corp');
    await w.addMember(olivia, acme, nina);
    await w.changeRole(olivia, acme, max, 'member');
    w.clock = Date.parse(at(5));
    const project = await w.createProject(olivia, acme, 'Apollo', 'to the moon');
    const first = await w.createIssue(olivia, project, { title: 'First' });
    const doomed = await w.createIssue(olivia, project, { title: 'Doomed' });
    w.clock = Date.parse(at(7));
    await w.updateProject(olivia, project, { name: 'Artemis' });
    await w.updateIssue(max, first, { title: 'First, renamed' });
    await w.deleteIssue(olivia, doomed);
    await w.removeMember(olivia, acme, nina);
    const late = await w.createIssue(olivia, project, { title: 'Late' });
    await bed.catchUp();
    return { olivia, max, nina, outsider, acme, project, first, doomed, late };
  });

  it('shows an organization with its name, members and roles as they were', async () => {
    const early = await organizationAsOf(bed.knex, bed.store, given.acme, given.max, at(2));
    expect(early?.name).toBe('Acme');
    expect(await membersThen(bed.knex, early!)).toEqual([
      { user: { id: given.olivia, username: 'olivia' }, role: 'owner', joined_at: at(1) },
      {
        user: { id: given.max, username: 'max' },
        role: 'manager',
        joined_at: expect.stringMatching(/^2025-06-01T12:00/),
      },
    ]);
    const later = await organizationAsOf(bed.knex, bed.store, given.acme, given.max, at(4));
    expect(later?.name).toBe('Acme Corp');
    expect((await membersThen(bed.knex, later!)).map((m) => [m.user.username, m.role])).toEqual([
      ['olivia', 'owner'],
      ['max', 'member'],
      ['nina', 'member'],
    ]);
    const now = await organizationAsOf(bed.knex, bed.store, given.acme, given.max, at(8));
    expect([...now!.members.keys()]).toEqual([given.olivia, given.max]);
    expect(await organizationAsOf(bed.knex, bed.store, given.acme, given.max, '2025-05-01')).toBeNull();
  });

  it('hides an organization from whoever is not a member now', async () => {
    expect(await organizationAsOf(bed.knex, bed.store, given.acme, given.outsider, at(4))).toBeNull();
    expect(await organizationAsOf(bed.knex, bed.store, given.acme, given.nina, at(4))).toBeNull();
  });

  it('shows a project as it was', async () => {
    expect((await projectAsOf(bed.knex, bed.store, given.project, given.max, at(6)))?.project.name).toBe(
      'Apollo',
    );
    expect((await projectAsOf(bed.knex, bed.store, given.project, given.max, at(8)))?.project.name).toBe(
      'Artemis',
    );
    expect(await projectAsOf(bed.knex, bed.store, given.project, given.max, at(4))).toBeNull();
    expect(await projectAsOf(bed.knex, bed.store, given.project, given.outsider, at(8))).toBeNull();
  });

  it("lists a project's issues as they were: deleted ones while they lived, later ones not yet", async () => {
    const titles = async (when: string) =>
      (await projectIssuesAsOf(bed.knex, bed.store, given.project, given.max, when))!.results.map(
        (i) => i.title,
      );
    expect(await titles(at(6))).toEqual(['Doomed', 'First']);
    expect(await titles(at(8))).toEqual(['Late', 'First, renamed']);
    expect(await titles(at(4))).toEqual([]);
    expect(await projectIssuesAsOf(bed.knex, bed.store, given.project, given.outsider, at(6))).toBeNull();
  });

  it('pages a list as it was', async () => {
    const first = await projectIssuesAsOf(bed.knex, bed.store, given.project, given.max, at(6), { limit: 1 });
    expect(first!.results.map((i) => i.title)).toEqual(['Doomed']);
    const second = await projectIssuesAsOf(bed.knex, bed.store, given.project, given.max, at(6), {
      limit: 1,
      cursor: first!.nextCursor,
    });
    expect(second!.results.map((i) => i.title)).toEqual(['First']);
    expect(second!.nextCursor).toBeNull();
  });

  it('refuses to replay more than its bound', async () => {
    await expect(
      projectIssuesAsOf(bed.knex, bed.store, given.project, given.max, at(8), {}, 3),
    ).rejects.toBeInstanceOf(AsOfTooLargeError);
  });
});
