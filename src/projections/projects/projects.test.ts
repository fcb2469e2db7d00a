import { ValidationError } from '../../domain';
import { readModelTestbed, type ReadModelTestbed } from '../testing/setup';
import { listOrganizations } from '../organizations/queries';
import { getProject, listProjects } from './queries';

describe('projects read model', () => {
  let bed: ReadModelTestbed;
  let ann: string;
  let bob: string;
  let acme: string;
  let globex: string;
  const created: { id: string; organization: string }[] = [];

  beforeAll(async () => {
    bed = await readModelTestbed('tt_rm_projects');
    const w = bed.world;
    ann = await w.register('ann');
    bob = await w.register('bob');
    acme = await w.createOrganization(ann, 'Acme');
    globex = await w.createOrganization(bob, 'Globex');
    await w.addMember(bob, globex, ann, 'manager');
    for (let i = 0; i < 7; i++) {
      const organization = i % 2 === 0 ? acme : globex;
      created.push({ id: await w.createProject(ann, organization, `P${i}`, `about ${i}`), organization });
    }
    await bed.catchUp();
  });

  afterAll(() => bed.close());

  it('lists projects of all the caller organizations newest first, by pages that neither skip nor repeat', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listProjects(bed.knex, ann, { limit: 3, cursor });
      seen.push(...page.results.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(created.map((p) => p.id).reverse());
  });

  it('filters by organization, and shows only what the caller may see', async () => {
    const acmeOnly = await listProjects(bed.knex, ann, { organizationId: acme });
    expect(acmeOnly.results.map((p) => p.id)).toEqual(
      created
        .filter((p) => p.organization === acme)
        .map((p) => p.id)
        .reverse(),
    );
    expect((await listProjects(bed.knex, bob, { organizationId: acme })).results).toEqual([]);
    expect((await listProjects(bed.knex, bob)).results).toHaveLength(3);
  });

  it('shows one project with the API fields', async () => {
    const [first] = created;
    expect(await getProject(bed.knex, first!.id, ann)).toEqual({
      id: first!.id,
      organization: acme,
      name: 'P0',
      description: 'about 0',
      created_at: expect.stringMatching(/^2025-01-01T00:00:\d\d\.000Z$/),
      updated_at: expect.any(String),
      archived: false,
    });
    expect(await getProject(bed.knex, first!.id, bob)).toBeNull();
  });

  it('refuses a cursor of another list', async () => {
    const organizations = await listOrganizations(bed.knex, ann, { limit: 1 });
    expect(organizations.nextCursor).not.toBeNull();
    await expect(listProjects(bed.knex, ann, { cursor: organizations.nextCursor })).rejects.toThrow(
      ValidationError,
    );
  });
});
