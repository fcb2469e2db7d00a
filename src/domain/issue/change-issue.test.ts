import { NotFoundError, ValidationError } from '../shared/errors';
import {
  asManager,
  asOtherMember,
  asOutsider,
  changed,
  deleted,
  given,
  issueCommand,
  issueCreated,
} from '../../../test/support/domain/issue';

const open = issueCreated({ title: 'Fix the launch pad', description: 'Cracked', dueDate: '2025-04-01' });

describe('ChangeIssueTitle', () => {
  it('any member changes the title; the event carries the previous title', () => {
    given([open])
      .when(issueCommand('ChangeIssueTitle', { title: ' Rebuild the launch pad ' }, asOtherMember))
      .then([changed.title('Rebuild the launch pad', 'Fix the launch pad')]);
  });

  it('the same title after trimming emits nothing', () => {
    given([open])
      .when(issueCommand('ChangeIssueTitle', { title: 'Fix the launch pad  ' }))
      .then([]);
  });

  it('a blank title is refused with ValidationError on title', () => {
    given([open])
      .when(issueCommand('ChangeIssueTitle', { title: '' }))
      .thenThrows(ValidationError, /^title:/);
  });
});

describe('ChangeIssueDescription', () => {
  it('changes the description; the event carries the previous description', () => {
    given([open])
      .when(issueCommand('ChangeIssueDescription', { description: 'Cracked and sinking' }))
      .then([changed.description('Cracked and sinking', 'Cracked')]);
  });

  it('clearing the description is a change', () => {
    given([open])
      .when(issueCommand('ChangeIssueDescription', { description: '' }))
      .then([changed.description('', 'Cracked')]);
  });

  it('the same description emits nothing', () => {
    given([open])
      .when(issueCommand('ChangeIssueDescription', { description: 'Cracked' }))
      .then([]);
  });

  it('a description over 10000 characters is refused with ValidationError on description', () => {
    given([open])
      .when(issueCommand('ChangeIssueDescription', { description: 'd'.repeat(10_001) }))
      .thenThrows(ValidationError, /^description:/);
  });
});

describe('ChangeIssueStatus', () => {
  it('changes the status; the event carries the previous status', () => {
    given([open])
      .when(issueCommand('ChangeIssueStatus', { status: 'in_progress' }))
      .then([changed.status('in_progress', 'open')]);
  });

  it('the same status emits nothing', () => {
    given([open])
      .when(issueCommand('ChangeIssueStatus', { status: 'open' }))
      .then([]);
  });
});

describe('ChangeIssuePriority', () => {
  it('changes the priority; the event carries the previous priority', () => {
    given([open])
      .when(issueCommand('ChangeIssuePriority', { priority: 'high' }, asManager))
      .then([changed.priority('high', 'medium')]);
  });

  it('the same priority emits nothing', () => {
    given([open])
      .when(issueCommand('ChangeIssuePriority', { priority: 'medium' }))
      .then([]);
  });
});

describe('ChangeIssueDueDate', () => {
  it('moves the due date; the event carries the previous date', () => {
    given([open])
      .when(issueCommand('ChangeIssueDueDate', { dueDate: '2025-05-01' }))
      .then([changed.dueDate('2025-05-01', '2025-04-01')]);
  });

  it('clearing the due date is a change to null', () => {
    given([open])
      .when(issueCommand('ChangeIssueDueDate', { dueDate: null }))
      .then([changed.dueDate(null, '2025-04-01')]);
  });

  it('the same due date emits nothing', () => {
    given([open])
      .when(issueCommand('ChangeIssueDueDate', { dueDate: '2025-04-01' }))
      .then([]);
  });

  it('clearing an absent due date emits nothing', () => {
    given([issueCreated()])
      .when(issueCommand('ChangeIssueDueDate', { dueDate: null }))
      .then([]);
  });

  it('an impossible date is refused with ValidationError on dueDate', () => {
    given([open])
      .when(issueCommand('ChangeIssueDueDate', { dueDate: '2100-02-29' }))
      .thenThrows(ValidationError, /^dueDate:/);
  });
});

describe('any change to an issue that cannot be seen', () => {
  const changes = [
    issueCommand('ChangeIssueTitle', { title: 'New' }),
    issueCommand('ChangeIssueDescription', { description: 'New' }),
    issueCommand('ChangeIssueStatus', { status: 'done' }),
    issueCommand('ChangeIssuePriority', { priority: 'low' }),
    issueCommand('ChangeIssueDueDate', { dueDate: null }),
    issueCommand('AssignIssue', { assigneeId: 'user-x' }),
    issueCommand('UnassignIssue', {}),
    issueCommand('UpdateIssue', { title: 'New' }),
  ];

  it.each(changes.map((command) => [command.type, command] as const))(
    '%s on an unknown issue is refused with NotFoundError',
    (_type, command) => {
      given([]).when(command).thenThrows(NotFoundError);
    },
  );

  it.each(changes.map((command) => [command.type, command] as const))(
    '%s on a deleted issue is refused with NotFoundError',
    (_type, command) => {
      given([open, deleted()]).when(command).thenThrows(NotFoundError);
    },
  );

  it.each(changes.map((command) => [command.type, { ...command, ...asOutsider }] as const))(
    '%s by a non-member is refused with NotFoundError',
    (_type, command) => {
      given([open]).when(command).thenThrows(NotFoundError);
    },
  );
});
