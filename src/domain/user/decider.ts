import type { Decider } from '../shared/decider';
import { IllegalStateError } from '../shared/errors';
import type { Checked } from '../shared/validation';
import { refuse, trimmedText, validated } from '../shared/validation';
import type { UserCommand } from './commands';
import type { UserEvent } from './events';

/** Django's limits, which the API's original design follows. */
export const USERNAME_MAX = 150;
export const EMAIL_MAX = 254;

export interface User {
  exists: boolean;
  userId: string;
  username: string;
  email: string;
}

export const initialState = (): User => ({ exists: false, userId: '', username: '', email: '' });

/** A user's stream holds only the registration; later facts about users will add cases here. */
export const evolve = (_state: User, event: UserEvent): User => {
  switch (event.type) {
    case 'UserRegistered':
      return {
        exists: true,
        userId: event.data.userId,
        username: event.data.username,
        email: event.data.email,
      };
    default: {
      const unknown: never = event.type;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
};

const usernameCheck = trimmedText(USERNAME_MAX);

/** Only the shape (one `@` with something on each side, no spaces); whether it is taken is the handler's check. */
const emailCheck = (value: unknown): Checked<string> => {
  const checked = trimmedText(EMAIL_MAX)(value);
  if (!checked.ok) return checked;
  return /^[^\s@]+@[^\s@]+$/.test(checked.value) ? checked : refuse('must be an email address');
};

/** Uniqueness of username and email needs the read side, so the command handler checks it before deciding. */
export const decide = (command: UserCommand, state: User): UserEvent[] => {
  switch (command.type) {
    case 'RegisterUser': {
      const { username, email } = validated({
        username: usernameCheck(command.data.username),
        email: emailCheck(command.data.email),
      });
      if (state.exists) throw new IllegalStateError('user already exists');
      return [{ type: 'UserRegistered', data: { userId: command.data.userId, username, email } }];
    }
    default: {
      const unknown: never = command.type;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
};

export const userDecider: Decider<UserCommand, UserEvent, User> = { decide, evolve, initialState };
