import { fold } from '../shared/decider';
import { NotFoundError, ValidationError } from '../shared/errors';
import {
  actor,
  changed,
  createIssue,
  deleted,
  given,
  issueCommand,
  issueCreated,
} from '../../../test/support/domain/issue';
import { MEMBER } from '../../../test/support/domain/ids';
import { issueDecider } from './decider';

const labels = (...ids: string[]) => ({ labelIds: new Set(ids) });
const withLabels = actor(MEMBER, 'member', labels('l-a', 'l-b', 'l-c'));

describe('issue labels', () => {
  it('a member sets labels; they are kept sorted, without repeats', () => {
    given([issueCreated()])
      .when(issueCommand('UpdateIssue', { labelIds: ['l-b', 'l-a', 'l-b'] }, withLabels))
      .then([changed.labels(['l-a', 'l-b'], [])]);
  });

  it('the same set in another order changes nothing; an empty list takes every label off', () => {
    given([issueCreated({ labelIds: ['l-a', 'l-b'] })])
      .when(issueCommand('UpdateIssue', { labelIds: ['l-b', 'l-a'] }, withLabels))
      .then([]);
    given([issueCreated({ labelIds: ['l-a', 'l-b'] })])
      .when(issueCommand('UpdateIssue', { labelIds: [] }, withLabels))
      .then([changed.labels([], ['l-a', 'l-b'])]);
  });

  it("a label the organization does not have is refused on labelIds (another organization's too)", () => {
    const error = given([issueCreated()])
      .when(issueCommand('UpdateIssue', { labelIds: ['l-a', 'l-foreign'], title: '' }, withLabels))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['title', 'labelIds']);
  });

  it('labels the issue has are kept without asking, so one deleted meanwhile can still be taken off', () => {
    given([issueCreated({ labelIds: ['l-a', 'l-gone'] })])
      .when(issueCommand('UpdateIssue', { labelIds: ['l-gone'] }, withLabels))
      .then([changed.labels(['l-gone'], ['l-a', 'l-gone'])]);
  });

  it('refuses what is not a list of ids, and more than 100 labels', () => {
    for (const labelIds of [['l-a', 7], 'l-a', [''], Array.from({ length: 101 }, (_, i) => `l-${i}`)]) {
      const many = actor(MEMBER, 'member', {
        labelIds: new Set(Array.from({ length: 101 }, (_, i) => `l-${i}`)),
      });
      given([issueCreated()])
        .when(issueCommand('UpdateIssue', { labelIds: labelIds as string[] }, many))
        .thenThrows(ValidationError);
    }
  });

  it('an issue may be created with labels', () => {
    given([])
      .when(createIssue({ labelIds: ['l-c', 'l-a'] }, withLabels))
      .then([issueCreated({ labelIds: ['l-a', 'l-c'] })]);
    given([])
      .when(createIssue({ labelIds: ['l-x'] }, withLabels))
      .thenThrows(ValidationError);
  });

  it('a restore brings back the labels that still exist', () => {
    given([issueCreated({ labelIds: ['l-a', 'l-gone'] }), deleted()])
      .when(issueCommand('RestoreIssue', {}, actor(MEMBER, 'member', labels('l-a'))))
      .then([
        {
          type: 'IssueRestored',
          data: { ...issueCreated({ labelIds: ['l-a'] }).data },
        },
      ]);
  });

  it('a deleted issue takes no labels', () => {
    given([issueCreated(), deleted()])
      .when(issueCommand('UpdateIssue', { labelIds: ['l-a'] }, withLabels))
      .thenThrows(NotFoundError);
  });

  it('folds the labels', () => {
    const state = fold(issueDecider, [
      issueCreated({ labelIds: ['l-a'] }),
      changed.labels(['l-a', 'l-b'], ['l-a']),
    ]);
    expect(state.labelIds).toEqual(['l-a', 'l-b']);
  });
});
