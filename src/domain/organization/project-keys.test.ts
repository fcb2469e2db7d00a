import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import { MEMBER, OWNER } from '../../../test/support/domain/ids';
import {
  acme,
  given,
  keyReleased,
  keyReserved,
  releaseProjectKey,
  reserveProjectKey,
} from '../../../test/support/domain/organization';

describe('ReserveProjectKey', () => {
  it('reserves the key given, in capitals', () => {
    given(acme)
      .when(reserveProjectKey('p1', { name: 'Website', key: 'web' }))
      .then([keyReserved('p1', 'WEB')]);
  });

  it('reserves the key the name suggests, numbered when taken', () => {
    given(acme)
      .when(reserveProjectKey('p1', { name: 'Web' }))
      .then([keyReserved('p1', 'WEB')]);
    given([...acme, keyReserved('p1', 'WEB'), keyReserved('p2', 'WEB2')])
      .when(reserveProjectKey('p3', { name: 'web' }))
      .then([keyReserved('p3', 'WEB3')]);
  });

  it('refuses a key another project holds, whatever its case, with IllegalStateError', () => {
    given([...acme, keyReserved('p1', 'WEB')])
      .when(reserveProjectKey('p2', { name: 'Other', key: 'Web' }))
      .thenThrows(IllegalStateError, /WEB is taken/);
  });

  it('refuses a key a project from before reservations holds, as the read models know it', () => {
    const legacy = [{ projectId: 'old', key: 'WEB' }];
    given(acme)
      .when(reserveProjectKey('p2', { name: 'Web', key: 'WEB' }, OWNER, legacy))
      .thenThrows(IllegalStateError);
    given(acme)
      .when(reserveProjectKey('p2', { name: 'Web' }, OWNER, legacy))
      .then([keyReserved('p2', 'WEB2')]);
  });

  it('reserving again for the same project changes nothing (a retried creation)', () => {
    given([...acme, keyReserved('p1', 'WEB')])
      .when(reserveProjectKey('p1', { name: 'Web', key: 'WEB' }))
      .then([]);
  });

  it('a released key is free again', () => {
    given([...acme, keyReserved('p1', 'WEB'), keyReleased('p1', 'WEB')])
      .when(reserveProjectKey('p2', { name: 'Web', key: 'WEB' }))
      .then([keyReserved('p2', 'WEB')]);
  });

  it('a member is refused with ForbiddenError, a non-member with NotFoundError', () => {
    given(acme)
      .when(reserveProjectKey('p1', { name: 'Web' }, MEMBER))
      .thenThrows(ForbiddenError);
    given(acme)
      .when(reserveProjectKey('p1', { name: 'Web' }, 'user-stranger'))
      .thenThrows(NotFoundError);
  });

  it('a bad key or name is refused with ValidationError naming both', () => {
    const error = given(acme)
      .when(reserveProjectKey('p1', { name: '', key: 'W' }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name', 'key']);
  });
});

describe('ReleaseProjectKey', () => {
  it('frees the key the project holds, once', () => {
    given([...acme, keyReserved('p1', 'WEB')])
      .when(releaseProjectKey('p1'))
      .then([keyReleased('p1', 'WEB')]);
    given([...acme, keyReserved('p1', 'WEB'), keyReleased('p1', 'WEB')])
      .when(releaseProjectKey('p1'))
      .then([]);
  });
});
