import { fold } from '../shared/decider';
import { IllegalStateError, ValidationError } from '../shared/errors';
import { specFor } from '../../../test/support/domain/spec';
import { by } from '../../../test/support/domain/ids';
import type { RegisterUser } from './commands';
import { userDecider } from './decider';
import type { UserRegistered } from './events';

const { given } = specFor(userDecider);
const USER = 'user-ada';

const registerUser = (username: string, email: string): RegisterUser => ({
  type: 'RegisterUser',
  data: { userId: USER, username, email },
  metadata: by(USER),
});
const userRegistered = (username = 'ada', email = 'ada@example.com'): UserRegistered => ({
  type: 'UserRegistered',
  data: { userId: USER, username, email },
});

describe('RegisterUser', () => {
  it('a new user is registered with username and email, and no credentials in the event', () => {
    given([]).when(registerUser('ada', 'ada@example.com')).then([userRegistered()]);
  });

  it('username and email are stored trimmed', () => {
    given([]).when(registerUser(' ada ', ' ada@example.com ')).then([userRegistered()]);
  });

  it('registering a user that already exists is refused with IllegalStateError', () => {
    given([userRegistered()]).when(registerUser('ada', 'ada@example.com')).thenThrows(IllegalStateError);
  });

  it('a blank username and an email without @ are refused together with ValidationError', () => {
    const error = given([]).when(registerUser('  ', 'ada.example.com')).thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['username', 'email']);
  });

  it('a username over 150 characters is refused with ValidationError on username', () => {
    given([])
      .when(registerUser('a'.repeat(151), 'ada@example.com'))
      .thenThrows(ValidationError, /^username:/);
  });
});

describe('user evolve', () => {
  it('folds the registration into the user', () => {
    expect(fold(userDecider, [userRegistered()])).toEqual({
      exists: true,
      userId: USER,
      username: 'ada',
      email: 'ada@example.com',
    });
    expect(fold(userDecider, []).exists).toBe(false);
  });
});
