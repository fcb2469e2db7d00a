import { ForbiddenError, NotFoundError } from '../shared/errors';
import {
  asCreator,
  asManager,
  asOtherMember,
  asOutsider,
  asOwner,
  deleted,
  given,
  issueCommand,
  issueCreated,
} from '../../../test/support/domain/issue';
import { MEMBER } from '../../../test/support/domain/ids';

const createdByMember = issueCreated({ createdBy: MEMBER });

describe('DeleteIssue', () => {
  it.each([
    ['an owner', asOwner],
    ['a manager', asManager],
    ['its creator (a plain member)', asCreator],
  ])('%s deletes the issue', (_who, actor) => {
    given([createdByMember])
      .when(issueCommand('DeleteIssue', {}, actor))
      .then([deleted()]);
  });

  it('a member who did not create the issue is refused with ForbiddenError', () => {
    given([createdByMember])
      .when(issueCommand('DeleteIssue', {}, asOtherMember))
      .thenThrows(ForbiddenError);
  });

  it('a non-member deleting is refused with NotFoundError', () => {
    given([createdByMember])
      .when(issueCommand('DeleteIssue', {}, asOutsider))
      .thenThrows(NotFoundError);
  });

  it('deleting an unknown issue is refused with NotFoundError', () => {
    given([])
      .when(issueCommand('DeleteIssue', {}, asOwner))
      .thenThrows(NotFoundError);
  });

  it('deleting a second time is refused with NotFoundError', () => {
    given([createdByMember, deleted()])
      .when(issueCommand('DeleteIssue', {}, asOwner))
      .thenThrows(NotFoundError);
  });
});
