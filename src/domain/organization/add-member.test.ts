import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import type { Role } from '../shared/decider';
import { MANAGER, MEMBER, NEWCOMER, OTHER_MEMBER, unchecked } from '../../../test/support/domain/ids';
import { acme, addMember, given, memberAdded } from '../../../test/support/domain/organization';

describe('AddMember', () => {
  it.each<Role>(['owner', 'manager', 'member'])('the owner adds a user as %s', (role) => {
    given(acme)
      .when(addMember(NEWCOMER, role))
      .then([memberAdded(NEWCOMER, role)]);
  });

  it('a manager adds a user as member', () => {
    given(acme)
      .when(addMember(NEWCOMER, 'member', MANAGER))
      .then([memberAdded(NEWCOMER, 'member')]);
  });

  it('a manager adding an owner is refused with ForbiddenError', () => {
    given(acme)
      .when(addMember(NEWCOMER, 'owner', MANAGER))
      .thenThrows(ForbiddenError);
  });

  it('a manager adding a manager is refused with ForbiddenError', () => {
    given(acme)
      .when(addMember(NEWCOMER, 'manager', MANAGER))
      .thenThrows(ForbiddenError);
  });

  it('a member adding anyone is refused with ForbiddenError', () => {
    given(acme)
      .when(addMember(NEWCOMER, 'member', MEMBER))
      .thenThrows(ForbiddenError);
  });

  it('a non-member adding someone is refused with NotFoundError', () => {
    given(acme)
      .when(addMember(NEWCOMER, 'member', OTHER_MEMBER))
      .thenThrows(NotFoundError);
  });

  it('adding to an organization that does not exist is refused with NotFoundError', () => {
    given([]).when(addMember(NEWCOMER, 'member')).thenThrows(NotFoundError);
  });

  it('adding someone who is already a member is refused with IllegalStateError', () => {
    given(acme).when(addMember(MEMBER, 'manager')).thenThrows(IllegalStateError);
  });

  it('a role outside owner, manager, member is refused with ValidationError on role', () => {
    const error = given(acme)
      .when(addMember(NEWCOMER, unchecked<Role>('admin')))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['role']);
  });
});
