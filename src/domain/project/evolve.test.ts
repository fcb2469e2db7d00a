import { fold } from '../shared/decider';
import { ORG, PROJECT } from '../../../test/support/domain/ids';
import { projectArchived, projectCreated, projectUpdated } from '../../../test/support/domain/project';
import { initialState, projectDecider } from './decider';

describe('project evolve', () => {
  it('with no events there is no project', () => {
    expect(fold(projectDecider, [])).toEqual(initialState());
    expect(initialState().exists).toBe(false);
  });

  it('folds creation, partial updates and archiving into the current project', () => {
    const state = fold(projectDecider, [
      projectCreated('Apollo', 'To the moon'),
      projectUpdated({ name: { from: 'Apollo', to: 'Artemis' } }),
      projectUpdated({ description: { from: 'To the moon', to: 'And back' } }),
      projectArchived(),
    ]);
    expect(state).toEqual({
      exists: true,
      projectId: PROJECT,
      organizationId: ORG,
      name: 'Artemis',
      description: 'And back',
      key: 'APOLLO',
      archived: true,
    });
  });

  it('a change to an empty description is applied, not ignored', () => {
    const state = fold(projectDecider, [
      projectCreated('Apollo', 'To the moon'),
      projectUpdated({ description: { from: 'To the moon', to: '' } }),
    ]);
    expect(state.description).toBe('');
  });
});
