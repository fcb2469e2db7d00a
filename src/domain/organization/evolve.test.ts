import { fold } from '../shared/decider';
import { CO_OWNER, MANAGER, MEMBER, ORG, OWNER } from '../../../test/support/domain/ids';
import {
  acme,
  memberAdded,
  memberRemoved,
  memberRoleChanged,
  organizationRenamed,
} from '../../../test/support/domain/organization';
import { initialState, organizationDecider } from './decider';

describe('organization evolve', () => {
  it('with no events there is no organization', () => {
    expect(fold(organizationDecider, [])).toEqual(initialState());
    expect(initialState().exists).toBe(false);
  });

  it('folds creation, renames and every membership change into the current organization', () => {
    const state = fold(organizationDecider, [
      ...acme,
      organizationRenamed('Acme Corp', 'Acme'),
      memberAdded(CO_OWNER, 'owner'),
      memberRoleChanged(MEMBER, 'manager', 'member'),
      memberRemoved(MANAGER, 'manager'),
    ]);
    expect(state).toEqual({
      exists: true,
      organizationId: ORG,
      name: 'Acme Corp',
      members: new Map([
        [OWNER, 'owner'],
        [MEMBER, 'manager'],
        [CO_OWNER, 'owner'],
      ]),
      projectKeys: new Map(),
      labels: new Map(),
    });
  });

  it('never mutates the state it is given', () => {
    const before = fold(organizationDecider, acme);
    const after = organizationDecider.evolve(before, memberRemoved(MEMBER, 'member'));
    expect(before.members.has(MEMBER)).toBe(true);
    expect(after.members.has(MEMBER)).toBe(false);
  });
});
