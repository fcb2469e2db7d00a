import { NotFoundError, ValidationError } from '../shared/errors';
import {
  actor,
  asOutsider,
  assigned,
  changed,
  given,
  issueCommand,
  issueCreated,
  unassigned,
} from '../../../test/support/domain/issue';
import { MANAGER, MEMBER, OTHER_MEMBER, unchecked } from '../../../test/support/domain/ids';

const current = issueCreated({
  title: 'Fix the launch pad',
  description: 'Cracked',
  status: 'open',
  priority: 'medium',
  dueDate: '2025-04-01',
  assigneeId: MEMBER,
});
const asMemberAssigningAMember = actor(MEMBER, 'member', { assigneeIsMember: true });

describe('UpdateIssue (PATCH)', () => {
  it('changing every field emits one event per field, always in the order title, description, status, priority, due date, assignment', () => {
    given([current])
      .when(
        issueCommand(
          'UpdateIssue',
          {
            assigneeId: OTHER_MEMBER,
            dueDate: null,
            priority: 'high',
            status: 'blocked',
            description: 'Cracked and sinking',
            title: 'Rebuild the launch pad',
          },
          asMemberAssigningAMember,
        ),
      )
      .then([
        changed.title('Rebuild the launch pad', 'Fix the launch pad'),
        changed.description('Cracked and sinking', 'Cracked'),
        changed.status('blocked', 'open'),
        changed.priority('high', 'medium'),
        changed.dueDate(null, '2025-04-01'),
        assigned(OTHER_MEMBER, MEMBER),
      ]);
  });

  it('only the fields that differ produce events', () => {
    given([current])
      .when(issueCommand('UpdateIssue', { title: 'Fix the launch pad', status: 'done', priority: 'medium' }))
      .then([changed.status('done', 'open')]);
  });

  it('assigneeId null unassigns', () => {
    given([current])
      .when(issueCommand('UpdateIssue', { assigneeId: null }))
      .then([unassigned(MEMBER)]);
  });

  it('sending back every current value emits nothing', () => {
    const { title, description, status, priority, dueDate, assigneeId } = current.data;
    given([current])
      .when(issueCommand('UpdateIssue', { title, description, status, priority, dueDate, assigneeId }))
      .then([]);
  });

  it('keeping an assignee who has since left the organization is no change, not a validation error', () => {
    given([current])
      .when(
        issueCommand(
          'UpdateIssue',
          { assigneeId: MEMBER, title: 'Fix it' },
          actor(MANAGER, 'manager', { assigneeIsMember: false }),
        ),
      )
      .then([changed.title('Fix it', 'Fix the launch pad')]);
  });

  it('an empty patch emits nothing', () => {
    given([current]).when(issueCommand('UpdateIssue', {})).then([]);
  });

  it('every invalid field is reported together in one ValidationError and nothing is applied', () => {
    const error = given([current])
      .when(
        issueCommand('UpdateIssue', {
          title: ' ',
          description: 'd'.repeat(10_001),
          status: unchecked<'open'>('closed'),
          priority: unchecked<'low'>('urgent'),
          dueDate: '2025-04-31',
          assigneeId: 'user-stranger',
        }),
      )
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual([
      'title',
      'description',
      'status',
      'priority',
      'dueDate',
      'assigneeId',
    ]);
  });

  it('one invalid field refuses the whole patch, valid fields included', () => {
    given([current])
      .when(issueCommand('UpdateIssue', { title: 'Fine title', priority: unchecked<'low'>('urgent') }))
      .thenThrows(ValidationError, /^priority:/);
  });

  it('a non-member patching is refused with NotFoundError', () => {
    given([current])
      .when(issueCommand('UpdateIssue', { title: 'Mine' }, asOutsider))
      .thenThrows(NotFoundError);
  });
});
