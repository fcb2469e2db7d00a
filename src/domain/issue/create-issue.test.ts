import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import {
  actor,
  asCreator,
  asManager,
  asOutsider,
  asOwner,
  createIssue,
  given,
  issueCreated,
} from '../../../test/support/domain/issue';
import { MANAGER, MEMBER, OTHER_MEMBER, OWNER, unchecked } from '../../../test/support/domain/ids';

const refusedPaths = (error: ValidationError) => error.errors.map((e) => e.path);

describe('CreateIssue', () => {
  it('a member creates an issue with the defaults: open, medium, no due date, unassigned', () => {
    given([])
      .when(createIssue({ title: 'Fix the launch pad' }))
      .then([issueCreated({ createdBy: MEMBER })]);
  });

  it('an owner and a manager create issues too, and each is recorded as its creator', () => {
    given([])
      .when(createIssue({}, asOwner))
      .then([issueCreated({ createdBy: OWNER })]);
    given([])
      .when(createIssue({}, asManager))
      .then([issueCreated({ createdBy: MANAGER })]);
  });

  it('every field given is recorded, the title trimmed', () => {
    given([])
      .when(
        createIssue(
          {
            title: '  Countdown clock drifts ',
            description: 'Loses a second a day',
            status: 'in_progress',
            priority: 'critical',
            dueDate: '2024-02-29',
            assigneeId: OTHER_MEMBER,
          },
          actor(MEMBER, 'member', { assigneeIsMember: true }),
        ),
      )
      .then([
        issueCreated({
          title: 'Countdown clock drifts',
          description: 'Loses a second a day',
          status: 'in_progress',
          priority: 'critical',
          dueDate: '2024-02-29',
          assigneeId: OTHER_MEMBER,
        }),
      ]);
  });

  it('a null due date and a null assignee mean none', () => {
    given([])
      .when(createIssue({ dueDate: null, assigneeId: null }))
      .then([issueCreated()]);
  });

  it('a non-member creating an issue is refused with NotFoundError', () => {
    given([]).when(createIssue({}, asOutsider)).thenThrows(NotFoundError);
  });

  it('creating an issue in an archived project is refused with IllegalStateError', () => {
    given([])
      .when(createIssue({}, actor(MEMBER, 'member', { projectArchived: true })))
      .thenThrows(IllegalStateError, /archived/);
  });

  it('creating an issue that already exists is refused with IllegalStateError', () => {
    given([issueCreated()])
      .when(createIssue({}))
      .thenThrows(IllegalStateError, /exists/);
  });

  it('an assignee who is not a member is refused with ValidationError on assigneeId', () => {
    const error = given([])
      .when(
        createIssue({ assigneeId: 'user-stranger' }, actor(MEMBER, 'member', { assigneeIsMember: false })),
      )
      .thenThrows(ValidationError);
    expect(refusedPaths(error)).toEqual(['assigneeId']);
  });

  it('an assignee whose membership the handler did not confirm is refused with ValidationError', () => {
    const error = given([])
      .when(createIssue({ assigneeId: OTHER_MEMBER }, asCreator))
      .thenThrows(ValidationError);
    expect(refusedPaths(error)).toEqual(['assigneeId']);
  });

  it.each([
    ['a blank title', { title: '  ' }, 'title'],
    ['a title over 255 characters', { title: 't'.repeat(256) }, 'title'],
    ['a description over 10000 characters', { description: 'd'.repeat(10_001) }, 'description'],
    ['an unknown status', { status: unchecked<'open'>('closed') }, 'status'],
    ['an unknown priority', { priority: unchecked<'low'>('urgent') }, 'priority'],
    ['a due date not written YYYY-MM-DD', { dueDate: '14/03/2025' }, 'dueDate'],
    ['a due date that is no calendar day', { dueDate: '2025-02-29' }, 'dueDate'],
    ['a due date in month 13', { dueDate: '2025-13-01' }, 'dueDate'],
    ['a due date with a time', { dueDate: '2025-03-14T00:00:00Z' }, 'dueDate'],
  ])('%s is refused with ValidationError on %s', (_situation, fields, path) => {
    const error = given([]).when(createIssue(fields)).thenThrows(ValidationError);
    expect(refusedPaths(error)).toEqual([path]);
  });

  it('every invalid field is reported in one ValidationError', () => {
    const error = given([])
      .when(
        createIssue({
          title: '',
          description: 'd'.repeat(10_001),
          status: unchecked<'open'>('closed'),
          priority: unchecked<'low'>('urgent'),
          dueDate: '2025-02-30',
          assigneeId: 'user-stranger',
        }),
      )
      .thenThrows(ValidationError);
    expect(refusedPaths(error)).toEqual([
      'title',
      'description',
      'status',
      'priority',
      'dueDate',
      'assigneeId',
    ]);
  });
});
