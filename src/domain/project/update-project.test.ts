import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import {
  given,
  projectArchived,
  projectCreated,
  projectUpdated,
  updateProject,
} from '../../../test/support/domain/project';

describe('UpdateProject', () => {
  it('a manager renames a project; only the name appears in the changes', () => {
    given([projectCreated('Apollo', 'To the moon')])
      .when(updateProject({ name: 'Artemis' }))
      .then([projectUpdated({ name: { from: 'Apollo', to: 'Artemis' } })]);
  });

  it('an owner changes the description; only the description appears in the changes', () => {
    given([projectCreated('Apollo', 'To the moon')])
      .when(updateProject({ description: 'And back' }, 'owner'))
      .then([projectUpdated({ description: { from: 'To the moon', to: 'And back' } })]);
  });

  it('changing both fields emits one event with both changes', () => {
    given([projectCreated('Apollo', 'To the moon')])
      .when(updateProject({ name: 'Artemis', description: 'And back' }))
      .then([
        projectUpdated({
          name: { from: 'Apollo', to: 'Artemis' },
          description: { from: 'To the moon', to: 'And back' },
        }),
      ]);
  });

  it('an unchanged field given alongside a changed one is left out of the changes', () => {
    given([projectCreated('Apollo', 'To the moon')])
      .when(updateProject({ name: ' Apollo ', description: 'And back' }))
      .then([projectUpdated({ description: { from: 'To the moon', to: 'And back' } })]);
  });

  it('giving the current values emits nothing', () => {
    given([projectCreated('Apollo', 'To the moon')])
      .when(updateProject({ name: 'Apollo', description: 'To the moon' }))
      .then([]);
  });

  it('giving no fields emits nothing', () => {
    given([projectCreated()]).when(updateProject({})).then([]);
  });

  it('updating a project that does not exist is refused with NotFoundError', () => {
    given([])
      .when(updateProject({ name: 'Artemis' }))
      .thenThrows(NotFoundError);
  });

  it('a non-member updating is refused with NotFoundError', () => {
    given([projectCreated()])
      .when(updateProject({ name: 'Artemis' }, null))
      .thenThrows(NotFoundError);
  });

  it('a member updating is refused with ForbiddenError', () => {
    given([projectCreated()])
      .when(updateProject({ name: 'Artemis' }, 'member'))
      .thenThrows(ForbiddenError);
  });

  it('updating an archived project is refused with IllegalStateError', () => {
    given([projectCreated(), projectArchived()])
      .when(updateProject({ name: 'Artemis' }))
      .thenThrows(IllegalStateError, /archived/);
  });

  it('an invalid name is refused with ValidationError on name', () => {
    const error = given([projectCreated()])
      .when(updateProject({ name: '' }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name']);
  });

  it('a description over 10000 characters is refused with ValidationError on description', () => {
    const error = given([projectCreated()])
      .when(updateProject({ description: 'd'.repeat(10_001) }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['description']);
  });
});
