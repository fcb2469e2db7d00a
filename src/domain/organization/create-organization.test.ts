import { IllegalStateError, ValidationError } from '../shared/errors';
import { NEWCOMER, OWNER } from '../../../test/support/domain/ids';
import { createOrganization, given, organizationCreated } from '../../../test/support/domain/organization';

describe('CreateOrganization', () => {
  it('a new organization is created with the actor as its owner', () => {
    given([])
      .when(createOrganization('Acme', NEWCOMER))
      .then([organizationCreated(NEWCOMER, 'Acme')]);
  });

  it('the name is stored trimmed', () => {
    given([])
      .when(createOrganization('  Acme  '))
      .then([organizationCreated(OWNER, 'Acme')]);
  });

  it('a name of exactly 255 characters is accepted', () => {
    const name = 'a'.repeat(255);
    given([])
      .when(createOrganization(name))
      .then([organizationCreated(OWNER, name)]);
  });

  it('255 emoji count as 255 characters, not 510', () => {
    const name = '🚀'.repeat(255);
    given([])
      .when(createOrganization(name))
      .then([organizationCreated(OWNER, name)]);
  });

  it('a blank name is refused with ValidationError on name', () => {
    const error = given([]).when(createOrganization('   ')).thenThrows(ValidationError, /name/);
    expect(error.errors.map((e) => e.path)).toEqual(['name']);
  });

  it('a name over 255 characters is refused with ValidationError on name', () => {
    const error = given([])
      .when(createOrganization('a'.repeat(256)))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name']);
  });

  it('creating an organization that already exists is refused with IllegalStateError', () => {
    given([organizationCreated()]).when(createOrganization('Acme again')).thenThrows(IllegalStateError);
  });
});
