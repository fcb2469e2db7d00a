import { ValidationError } from '../../domain';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { useFixture } from '../../../test/support/suite';
import { listOrganizations } from '../organizations/queries';
import { getProject, listProjects } from './queries';

describe('projects read model', () => {
  const bed = useReadModelTestbed('tt_rm_projects');
  const created: { id: string; organization: string }[] = [];

  const given = useFixture(async () => {
    const w = bed.world;
    const { ann, bob } = await w.registerAll('ann', 'bob');
    const acme = await w.createOrganization(ann, 'Acme');
    const globex = await w.createOrganization(bob, 'Globex');
    await w.addMember(bob, globex, ann, 'manager');
    for (let i = 0; i < 7; i++) {
      const organization = i % 2 === 0 ? acme : globex;
      created.push({ id: await w.createProject(ann, organization, `P${i}`, `about ${i}`), organization });
    }
    await bed.catchUp();
    return { ann, bob, acme, globex };
  });

  it('lists projects of all the caller organizations newest first, by pages that neither skip nor repeat', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listProjects(bed.knex, given.ann, { limit: 3, cursor });
      seen.push(...page.results.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(created.map((p) => p.id).reverse());
  });

  it('filters by organization, and shows only what the caller may see', async () => {
    const acmeOnly = await listProjects(bed.knex, given.ann, { organizationId: given.acme });
    expect(acmeOnly.results.map((p) => p.id)).toEqual(
      created
        .filter((p) => p.organization === given.acme)
        .map((p) => p.id)
        .reverse(),
    );
    expect((await listProjects(bed.knex, given.bob, { organizationId: given.acme })).results).toEqual([]);
    expect((await listProjects(bed.knex, given.bob)).results).toHaveLength(3);
  });

  it('shows one project with the API fields', async () => {
    const [first] = created;
    expect(await getProject(bed.knex, first!.id, given.ann)).toEqual({
      id: first!.id,
      organization: given.acme,
      name: 'P0',
      key: 'P0',
      description: 'about 0',
      created_at: expect.stringMatching(/^2025-01-01T00:00:\d\d\.000Z$/),
      updated_at: expect.any(String),
      archived: false,
    });
    expect(await getProject(bed.knex, first!.id, given.bob)).toBeNull();
  });

  it('refuses a cursor of another list', async () => {
    const organizations = await listOrganizations(bed.knex, given.ann, { limit: 1 });
    expect(organizations.nextCursor).not.toBeNull();
    await expect(listProjects(bed.knex, given.ann, { cursor: organizations.nextCursor })).rejects.toThrow(
      ValidationError,
    );
  });
});
