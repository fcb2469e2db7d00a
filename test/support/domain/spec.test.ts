import { IllegalStateError, NotFoundError } from '../../../src/domain/shared/errors';
import { createOrganization, given, organizationCreated } from './organization';

describe('the spec helper', () => {
  it('then fails when the events differ', () => {
    expect(() => given([]).when(createOrganization('Acme')).then([])).toThrow();
  });

  it('thenThrows fails when the command succeeds', () => {
    expect(() => given([]).when(createOrganization('Acme')).thenThrows(IllegalStateError)).toThrow(
      /expected IllegalStateError.*OrganizationCreated/,
    );
  });

  it('thenThrows fails on another error class or another message', () => {
    const twice = given([organizationCreated()]).when(createOrganization('Acme'));
    expect(() => twice.thenThrows(NotFoundError)).toThrow();
    expect(() => twice.thenThrows(IllegalStateError, /nothing like this/)).toThrow();
  });

  it('thenThrows returns the error for further checks', () => {
    const error = given([organizationCreated()])
      .when(createOrganization('Acme'))
      .thenThrows(IllegalStateError);
    expect(error.code).toBe('illegal_state');
  });
});
