import { randomUUID } from 'node:crypto';
import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { useFixture } from '../../../test/support/suite';
import {
  getOrganization,
  listMembers,
  listMemberships,
  listOrganizations,
  organizationIdsOf,
  roleOf,
} from './queries';

describe('organizations and memberships read model', () => {
  const bed = useReadModelTestbed('tt_rm_orgs');

  const given = useFixture(async () => {
    const { world } = bed;
    const { olivia, max, nina } = await world.registerAll('olivia', 'max', 'nina');
    const acme = await world.createOrganization(olivia, 'Acme');
    const globex = await world.createOrganization(max, 'Globex');
    await world.addMember(olivia, acme, max, 'manager');
    await world.addMember(olivia, acme, nina, 'member');
    await world.renameOrganization(olivia, acme, 'Acme Corp');
    await bed.catchUp();
    return { olivia, max, nina, acme, globex };
  });

  it('lists the organizations a user belongs to, each with the user role', async () => {
    const page = await listOrganizations(bed.knex, given.max);
    expect(
      page.results
        .map(({ id, name, role }) => ({ id, name, role }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { id: given.acme, name: 'Acme Corp', role: 'manager' },
      { id: given.globex, name: 'Globex', role: 'owner' },
    ]);
    expect(page.nextCursor).toBeNull();
  });

  it('shows one organization with the viewer role and member count, and hides it from non-members', async () => {
    expect(await getOrganization(bed.knex, given.acme, given.nina)).toEqual({
      id: given.acme,
      name: 'Acme Corp',
      created_at: '2025-01-01T00:00:03.000Z',
      role: 'member',
      member_count: 3,
    });
    expect(await getOrganization(bed.knex, given.globex, given.nina)).toBeNull();
    expect(await getOrganization(bed.knex, 'not-a-uuid', given.nina)).toBeNull();
  });

  it('lists members in the order they joined, pages by cursor, and hides them from non-members', async () => {
    const first = await listMembers(bed.knex, given.acme, given.nina, { limit: 2 });
    expect(first?.results.map((m) => [m.user.username, m.role])).toEqual([
      ['olivia', 'owner'],
      ['max', 'manager'],
    ]);
    expect(first?.results[0]?.user).toEqual({ id: given.olivia, username: 'olivia' });
    const second = await listMembers(bed.knex, given.acme, given.nina, {
      limit: 2,
      cursor: first?.nextCursor,
    });
    expect(second?.results.map((m) => m.user.username)).toEqual(['nina']);
    expect(second?.nextCursor).toBeNull();
    expect(await listMembers(bed.knex, given.globex, given.nina)).toBeNull();
  });

  it('answers roles for authorization, and follows role changes and removals', async () => {
    expect(await roleOf(bed.knex, given.acme, given.max)).toBe('manager');
    expect(await roleOf(bed.knex, given.globex, given.nina)).toBeNull();
    await bed.world.changeRole(given.olivia, given.acme, given.max, 'owner');
    await bed.world.removeMember(given.olivia, given.acme, given.nina);
    await bed.catchUp();
    expect(await roleOf(bed.knex, given.acme, given.max)).toBe('owner');
    expect(await roleOf(bed.knex, given.acme, given.nina)).toBeNull();
    expect((await getOrganization(bed.knex, given.acme, given.olivia))?.member_count).toBe(2);
    expect(await organizationIdsOf(bed.knex, given.nina)).toEqual([]);
  });

  it('lists a user memberships with role and joined_at', async () => {
    const page = await listMemberships(bed.knex, given.olivia);
    expect(page.results).toEqual([
      { organization: given.acme, role: 'owner', joined_at: '2025-01-01T00:00:03.000Z' },
    ]);
  });

  it('refuses a forged cursor with a validation error', async () => {
    await expect(listMembers(bed.knex, given.acme, given.olivia, { cursor: 'bm9wZQ' })).rejects.toThrow(
      /cursor/,
    );
    await expect(listOrganizations(bed.knex, given.olivia, { limit: 0 })).rejects.toThrow(/limit/);
    expect((await listOrganizations(bed.knex, randomUUID())).results).toEqual([]);
  });
});
