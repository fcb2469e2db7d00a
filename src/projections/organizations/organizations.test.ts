import { randomUUID } from 'node:crypto';
import { readModelTestbed, type ReadModelTestbed } from '../testing/setup';
import {
  getOrganization,
  listMembers,
  listMemberships,
  listOrganizations,
  organizationIdsOf,
  roleOf,
} from './queries';

describe('organizations and memberships read model', () => {
  let bed: ReadModelTestbed;
  let olivia: string;
  let max: string;
  let nina: string;
  let acme: string;
  let globex: string;

  beforeAll(async () => {
    bed = await readModelTestbed('tt_rm_orgs');
    const { world } = bed;
    olivia = await world.register('olivia');
    max = await world.register('max');
    nina = await world.register('nina');
    acme = await world.createOrganization(olivia, 'Acme');
    globex = await world.createOrganization(max, 'Globex');
    await world.addMember(olivia, acme, max, 'manager');
    await world.addMember(olivia, acme, nina, 'member');
    await world.renameOrganization(olivia, acme, 'Acme Corp');
    await bed.catchUp();
  });

  afterAll(() => bed.close());

  it('lists the organizations a user belongs to, each with the user role', async () => {
    const page = await listOrganizations(bed.knex, max);
    expect(
      page.results
        .map(({ id, name, role }) => ({ id, name, role }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { id: acme, name: 'Acme Corp', role: 'manager' },
      { id: globex, name: 'Globex', role: 'owner' },
    ]);
    expect(page.nextCursor).toBeNull();
  });

  it('shows one organization with the viewer role and member count, and hides it from non-members', async () => {
    expect(await getOrganization(bed.knex, acme, nina)).toEqual({
      id: acme,
      name: 'Acme Corp',
      created_at: '2025-01-01T00:00:03.000Z',
      role: 'member',
      member_count: 3,
    });
    expect(await getOrganization(bed.knex, globex, nina)).toBeNull();
    expect(await getOrganization(bed.knex, 'not-a-uuid', nina)).toBeNull();
  });

  it('lists members in the order they joined, pages by cursor, and hides them from non-members', async () => {
    const first = await listMembers(bed.knex, acme, nina, { limit: 2 });
    expect(first?.results.map((m) => [m.user.username, m.role])).toEqual([
      ['olivia', 'owner'],
      ['max', 'manager'],
    ]);
    expect(first?.results[0]?.user).toEqual({ id: olivia, username: 'olivia' });
    const second = await listMembers(bed.knex, acme, nina, { limit: 2, cursor: first?.nextCursor });
    expect(second?.results.map((m) => m.user.username)).toEqual(['nina']);
    expect(second?.nextCursor).toBeNull();
    expect(await listMembers(bed.knex, globex, nina)).toBeNull();
  });

  it('answers roles for authorization, and follows role changes and removals', async () => {
    expect(await roleOf(bed.knex, acme, max)).toBe('manager');
    expect(await roleOf(bed.knex, globex, nina)).toBeNull();
    await bed.world.changeRole(olivia, acme, max, 'owner');
    await bed.world.removeMember(olivia, acme, nina);
    await bed.catchUp();
    expect(await roleOf(bed.knex, acme, max)).toBe('owner');
    expect(await roleOf(bed.knex, acme, nina)).toBeNull();
    expect((await getOrganization(bed.knex, acme, olivia))?.member_count).toBe(2);
    expect(await organizationIdsOf(bed.knex, nina)).toEqual([]);
  });

  it('lists a user memberships with role and joined_at', async () => {
    const page = await listMemberships(bed.knex, olivia);
    expect(page.results).toEqual([
      { organization: acme, role: 'owner', joined_at: '2025-01-01T00:00:03.000Z' },
    ]);
  });

  it('refuses a forged cursor with a validation error', async () => {
    await expect(listMembers(bed.knex, acme, olivia, { cursor: 'bm9wZQ' })).rejects.toThrow(/cursor/);
    await expect(listOrganizations(bed.knex, olivia, { limit: 0 })).rejects.toThrow(/limit/);
    expect((await listOrganizations(bed.knex, randomUUID())).results).toEqual([]);
  });
});
