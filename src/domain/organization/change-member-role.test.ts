import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import { CO_OWNER, MANAGER, MEMBER, NEWCOMER, OWNER } from '../../../test/support/domain/ids';
import {
  acme,
  changeMemberRole,
  given,
  memberAdded,
  memberRoleChanged,
} from '../../../test/support/domain/organization';

describe('ChangeMemberRole', () => {
  it('the owner promotes a member to manager and the event carries the previous role', () => {
    given(acme)
      .when(changeMemberRole(MEMBER, 'manager'))
      .then([memberRoleChanged(MEMBER, 'manager', 'member')]);
  });

  it('the owner makes a manager a second owner', () => {
    given(acme)
      .when(changeMemberRole(MANAGER, 'owner'))
      .then([memberRoleChanged(MANAGER, 'owner', 'manager')]);
  });

  it('an owner steps down when another owner remains', () => {
    given([...acme, memberAdded(CO_OWNER, 'owner')])
      .when(changeMemberRole(OWNER, 'member'))
      .then([memberRoleChanged(OWNER, 'member', 'owner')]);
  });

  it('giving a member the role they already have emits nothing', () => {
    given(acme).when(changeMemberRole(MEMBER, 'member')).then([]);
  });

  it('the last owner keeping the owner role emits nothing', () => {
    given(acme).when(changeMemberRole(OWNER, 'owner')).then([]);
  });

  it('demoting the last owner is refused with IllegalStateError', () => {
    given(acme).when(changeMemberRole(OWNER, 'manager')).thenThrows(IllegalStateError, /owner/);
  });

  it('a manager changing a role is refused with ForbiddenError', () => {
    given(acme)
      .when(changeMemberRole(MEMBER, 'manager', MANAGER))
      .thenThrows(ForbiddenError);
  });

  it('a member changing a role is refused with ForbiddenError', () => {
    given(acme)
      .when(changeMemberRole(MEMBER, 'owner', MEMBER))
      .thenThrows(ForbiddenError);
  });

  it('a non-member changing a role is refused with NotFoundError', () => {
    given(acme)
      .when(changeMemberRole(MEMBER, 'owner', NEWCOMER))
      .thenThrows(NotFoundError);
  });

  it('changing the role of someone who is not a member is refused with NotFoundError', () => {
    given(acme)
      .when(changeMemberRole(NEWCOMER, 'manager'))
      .thenThrows(NotFoundError, /member/);
  });

  it('changing a role in an organization that does not exist is refused with NotFoundError', () => {
    given([]).when(changeMemberRole(MEMBER, 'manager')).thenThrows(NotFoundError);
  });
});
