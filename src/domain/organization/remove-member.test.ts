import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import { CO_OWNER, MANAGER, MEMBER, NEWCOMER, OTHER_MEMBER, OWNER } from '../../../test/support/domain/ids';
import {
  acme,
  given,
  memberAdded,
  memberRemoved,
  removeMember,
} from '../../../test/support/domain/organization';

describe('RemoveMember', () => {
  it('the owner removes a member and the event carries the previous role', () => {
    given(acme)
      .when(removeMember(MEMBER))
      .then([memberRemoved(MEMBER, 'member')]);
  });

  it('the owner removes a manager', () => {
    given(acme)
      .when(removeMember(MANAGER))
      .then([memberRemoved(MANAGER, 'manager')]);
  });

  it('an owner removes another owner', () => {
    given([...acme, memberAdded(CO_OWNER, 'owner')])
      .when(removeMember(CO_OWNER))
      .then([memberRemoved(CO_OWNER, 'owner')]);
  });

  it('a member leaves by removing themself', () => {
    given(acme)
      .when(removeMember(MEMBER, MEMBER))
      .then([memberRemoved(MEMBER, 'member')]);
  });

  it('a manager leaves by removing themself', () => {
    given(acme)
      .when(removeMember(MANAGER, MANAGER))
      .then([memberRemoved(MANAGER, 'manager')]);
  });

  it('an owner leaves while another owner remains', () => {
    given([...acme, memberAdded(CO_OWNER, 'owner')])
      .when(removeMember(OWNER, OWNER))
      .then([memberRemoved(OWNER, 'owner')]);
  });

  it('the last owner leaving is refused with IllegalStateError', () => {
    given(acme).when(removeMember(OWNER, OWNER)).thenThrows(IllegalStateError, /owner/);
  });

  it('a manager removing a member is refused with ForbiddenError', () => {
    given(acme).when(removeMember(MEMBER, MANAGER)).thenThrows(ForbiddenError);
  });

  it('a member removing another member is refused with ForbiddenError', () => {
    given([...acme, memberAdded(OTHER_MEMBER, 'member')])
      .when(removeMember(OTHER_MEMBER, MEMBER))
      .thenThrows(ForbiddenError);
  });

  it('a member removing the owner is refused with ForbiddenError', () => {
    given(acme).when(removeMember(OWNER, MEMBER)).thenThrows(ForbiddenError);
  });

  it('removing someone who is not a member is refused with NotFoundError', () => {
    given(acme)
      .when(removeMember(NEWCOMER))
      .thenThrows(NotFoundError, /member/);
  });

  it('a non-member removing someone is refused with NotFoundError', () => {
    given(acme)
      .when(removeMember(MEMBER, NEWCOMER))
      .thenThrows(NotFoundError, /organization/);
  });

  it('a non-member "leaving" is refused with NotFoundError', () => {
    given(acme).when(removeMember(NEWCOMER, NEWCOMER)).thenThrows(NotFoundError);
  });

  it('removing from an organization that does not exist is refused with NotFoundError', () => {
    given([]).when(removeMember(MEMBER)).thenThrows(NotFoundError);
  });

  it('a removed member can no longer act: removing again is refused with NotFoundError', () => {
    given([...acme, memberRemoved(MEMBER, 'member')])
      .when(removeMember(MEMBER, MEMBER))
      .thenThrows(NotFoundError);
  });
});
