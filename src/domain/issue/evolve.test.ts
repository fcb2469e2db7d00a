import { fold } from '../shared/decider';
import { assigned, changed, deleted, issueCreated, unassigned } from '../../../test/support/domain/issue';
import { ISSUE, MEMBER, ORG, OTHER_MEMBER, PROJECT } from '../../../test/support/domain/ids';
import { issueDecider } from './decider';
import { initialState } from './state';

describe('issue evolve', () => {
  it('with no events there is no issue', () => {
    expect(fold(issueDecider, [])).toEqual(initialState());
    expect(initialState().exists).toBe(false);
  });

  it('folds creation and every kind of change into the current issue', () => {
    const state = fold(issueDecider, [
      issueCreated(),
      changed.title('Rebuild the launch pad', 'Fix the launch pad'),
      changed.description('Cracked', ''),
      changed.status('in_progress', 'open'),
      changed.priority('critical', 'medium'),
      changed.dueDate('2025-04-01', null),
      assigned(OTHER_MEMBER),
    ]);
    expect(state).toEqual({
      exists: true,
      deleted: false,
      issueId: ISSUE,
      projectId: PROJECT,
      organizationId: ORG,
      title: 'Rebuild the launch pad',
      description: 'Cracked',
      status: 'in_progress',
      priority: 'critical',
      dueDate: '2025-04-01',
      assigneeId: OTHER_MEMBER,
      createdBy: MEMBER,
      labelIds: [],
      attachments: {},
      comments: new Map(),
      // The creator and the assignee watch it automatically.
      watch: new Map([
        [MEMBER, true],
        [OTHER_MEMBER, true],
      ]),
    });
  });

  it('unassigning clears the assignee and clearing the due date sets it to null', () => {
    const state = fold(issueDecider, [
      issueCreated({ assigneeId: OTHER_MEMBER, dueDate: '2025-04-01' }),
      unassigned(OTHER_MEMBER),
      changed.dueDate(null, '2025-04-01'),
    ]);
    expect(state.assigneeId).toBeNull();
    expect(state.dueDate).toBeNull();
  });

  it('a deleted issue keeps its last values but is marked deleted', () => {
    const state = fold(issueDecider, [issueCreated(), deleted()]);
    expect(state).toMatchObject({ exists: true, deleted: true, title: 'Fix the launch pad' });
  });
});
