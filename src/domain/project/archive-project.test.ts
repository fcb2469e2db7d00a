import { ForbiddenError, NotFoundError } from '../shared/errors';
import { archiveProject, given, projectArchived, projectCreated } from '../../../test/support/domain/project';

describe('ArchiveProject', () => {
  it('a manager archives a project', () => {
    given([projectCreated()]).when(archiveProject()).then([projectArchived()]);
  });

  it('an owner archives a project', () => {
    given([projectCreated()]).when(archiveProject('owner')).then([projectArchived()]);
  });

  it('archiving an archived project emits nothing', () => {
    given([projectCreated(), projectArchived()]).when(archiveProject()).then([]);
  });

  it('a member archiving is refused with ForbiddenError', () => {
    given([projectCreated()]).when(archiveProject('member')).thenThrows(ForbiddenError);
  });

  it('a non-member archiving is refused with NotFoundError', () => {
    given([projectCreated()]).when(archiveProject(null)).thenThrows(NotFoundError);
  });

  it('archiving a project that does not exist is refused with NotFoundError', () => {
    given([]).when(archiveProject()).thenThrows(NotFoundError);
  });
});
