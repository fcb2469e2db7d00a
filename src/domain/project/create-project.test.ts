import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import { createProject, given, projectCreated } from '../../../test/support/domain/project';

describe('CreateProject', () => {
  it('a manager creates a project', () => {
    given([])
      .when(createProject({ name: 'Apollo', description: 'To the moon' }))
      .then([projectCreated('Apollo', 'To the moon')]);
  });

  it('an owner creates a project', () => {
    given([])
      .when(createProject({ name: 'Apollo', description: 'To the moon' }, 'owner'))
      .then([projectCreated('Apollo', 'To the moon')]);
  });

  it('the name is trimmed and a missing description becomes empty', () => {
    given([])
      .when(createProject({ name: '  Apollo ' }))
      .then([projectCreated('Apollo', '')]);
  });

  it('the description is kept exactly as written', () => {
    given([])
      .when(createProject({ name: 'Apollo', description: '  indented\n' }))
      .then([projectCreated('Apollo', '  indented\n')]);
  });

  it('a member creating a project is refused with ForbiddenError', () => {
    given([])
      .when(createProject({ name: 'Apollo' }, 'member'))
      .thenThrows(ForbiddenError);
  });

  it('a non-member creating a project is refused with NotFoundError', () => {
    given([])
      .when(createProject({ name: 'Apollo' }, null))
      .thenThrows(NotFoundError);
  });

  it('creating a project that already exists is refused with IllegalStateError', () => {
    given([projectCreated()])
      .when(createProject({ name: 'Apollo' }))
      .thenThrows(IllegalStateError);
  });

  it('a blank name is refused with ValidationError on name', () => {
    const error = given([])
      .when(createProject({ name: ' ' }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name']);
  });

  it('a name over 255 characters is refused with ValidationError on name', () => {
    const error = given([])
      .when(createProject({ name: 'x'.repeat(256) }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name']);
  });

  it('a description of exactly 10000 characters is accepted', () => {
    const description = 'd'.repeat(10_000);
    given([])
      .when(createProject({ name: 'Apollo', description }))
      .then([projectCreated('Apollo', description)]);
  });

  it('a description over 10000 characters is refused with ValidationError on description', () => {
    const error = given([])
      .when(createProject({ name: 'Apollo', description: 'd'.repeat(10_001) }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['description']);
  });

  it('a bad name and a bad description are reported together', () => {
    const error = given([])
      .when(createProject({ name: '', description: 'd'.repeat(10_001) }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name', 'description']);
  });
});
