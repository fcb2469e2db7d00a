import { ForbiddenError, NotFoundError, ValidationError } from '../shared/errors';
import { CO_OWNER, MANAGER, MEMBER, NEWCOMER } from '../../../test/support/domain/ids';
import {
  acme,
  given,
  memberAdded,
  organizationCreated,
  organizationRenamed,
  renameOrganization,
} from '../../../test/support/domain/organization';

describe('RenameOrganization', () => {
  it('the owner renames the organization and the event carries the previous name', () => {
    given(acme)
      .when(renameOrganization('Acme Corp'))
      .then([organizationRenamed('Acme Corp', 'Acme')]);
  });

  it('any owner, not only the creator, may rename', () => {
    given([...acme, memberAdded(CO_OWNER, 'owner')])
      .when(renameOrganization('Acme Corp', CO_OWNER))
      .then([organizationRenamed('Acme Corp', 'Acme')]);
  });

  it('the new name is stored trimmed', () => {
    given(acme)
      .when(renameOrganization('  Acme Corp '))
      .then([organizationRenamed('Acme Corp', 'Acme')]);
  });

  it('renaming to the same name (after trimming) emits nothing', () => {
    given(acme).when(renameOrganization(' Acme ')).then([]);
  });

  it('renaming an organization that does not exist is refused with NotFoundError', () => {
    given([]).when(renameOrganization('Acme Corp')).thenThrows(NotFoundError);
  });

  it('a non-member renaming is refused with NotFoundError, never revealing the organization', () => {
    given(acme).when(renameOrganization('Mine now', NEWCOMER)).thenThrows(NotFoundError);
  });

  it('a manager renaming is refused with ForbiddenError', () => {
    given(acme).when(renameOrganization('Acme Corp', MANAGER)).thenThrows(ForbiddenError);
  });

  it('a member renaming is refused with ForbiddenError', () => {
    given(acme).when(renameOrganization('Acme Corp', MEMBER)).thenThrows(ForbiddenError);
  });

  it('an invalid new name is refused with ValidationError on name', () => {
    const error = given([organizationCreated()]).when(renameOrganization('')).thenThrows(ValidationError);
    expect(error.errors).toEqual([{ path: 'name', message: expect.any(String) }]);
  });
});
