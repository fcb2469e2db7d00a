import { ValidationError } from '../shared/errors';
import {
  actor,
  assigned,
  given,
  issueCommand,
  issueCreated,
  unassigned,
} from '../../../test/support/domain/issue';
import { MEMBER, OTHER_MEMBER } from '../../../test/support/domain/ids';

const assignerWhoseAssigneeIs = (assigneeIsMember: boolean) => actor(MEMBER, 'member', { assigneeIsMember });

describe('AssignIssue', () => {
  it('assigning an unassigned issue to a member emits IssueAssigned with no previous assignee', () => {
    given([issueCreated()])
      .when(issueCommand('AssignIssue', { assigneeId: OTHER_MEMBER }, assignerWhoseAssigneeIs(true)))
      .then([assigned(OTHER_MEMBER, null)]);
  });

  it('reassigning emits IssueAssigned carrying the previous assignee', () => {
    given([issueCreated({ assigneeId: MEMBER })])
      .when(issueCommand('AssignIssue', { assigneeId: OTHER_MEMBER }, assignerWhoseAssigneeIs(true)))
      .then([assigned(OTHER_MEMBER, MEMBER)]);
  });

  it('assigning to the current assignee emits nothing', () => {
    given([issueCreated(), assigned(OTHER_MEMBER)])
      .when(issueCommand('AssignIssue', { assigneeId: OTHER_MEMBER }, assignerWhoseAssigneeIs(true)))
      .then([]);
  });

  it('assigning to a non-member is refused with ValidationError on assigneeId', () => {
    const error = given([issueCreated()])
      .when(issueCommand('AssignIssue', { assigneeId: 'user-stranger' }, assignerWhoseAssigneeIs(false)))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['assigneeId']);
  });

  it('an empty assignee id is refused with ValidationError on assigneeId', () => {
    given([issueCreated()])
      .when(issueCommand('AssignIssue', { assigneeId: '' }, assignerWhoseAssigneeIs(true)))
      .thenThrows(ValidationError, /^assigneeId:/);
  });
});

describe('UnassignIssue', () => {
  it('unassigning emits IssueUnassigned carrying the previous assignee', () => {
    given([issueCreated({ assigneeId: OTHER_MEMBER })])
      .when(issueCommand('UnassignIssue', {}))
      .then([unassigned(OTHER_MEMBER)]);
  });

  it('unassigning an unassigned issue emits nothing', () => {
    given([issueCreated({ assigneeId: OTHER_MEMBER }), unassigned(OTHER_MEMBER)])
      .when(issueCommand('UnassignIssue', {}))
      .then([]);
  });
});
