import { DomainError, IllegalStateError, ValidationError } from '../../domain/shared/errors';
import { userDecider } from '../../domain/user/decider';
import { type UserEvent, userStream } from '../../domain/user/events';
import type { AggregateRunner, CommandContext, CommandResult } from '../aggregate-runner';
import { newAggregateId } from '../ids';
import { type CredentialStore, TakenError } from '../../accounts/credentials';
import type { PasswordHasher } from '../../accounts/password';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

export interface RegisterInput {
  username: string;
  email: string;
  password: string;
  isAdmin?: boolean;
}

export interface UserCommandDeps {
  runner: AggregateRunner;
  credentials: CredentialStore;
  hasher: PasswordHasher;
}

/**
 * Registers a user: the credentials row reserves the username and email (unique in PostgreSQL), then the
 * `UserRegistered` event (no secrets) records that the user exists. If the append fails the row is removed.
 * With a command id (an Idempotency-Key) the user id derives from it, so a retry after a crash between the two
 * steps finds its own row and completes the registration instead of refusing the username as taken.
 */
export const registerUser = async (
  deps: UserCommandDeps,
  input: RegisterInput,
  context: Omit<CommandContext, 'actorId' | 'expectedRevision'> = {},
): Promise<CommandResult<UserEvent> & { userId: string }> => {
  if (
    typeof input.password !== 'string' ||
    input.password.length < PASSWORD_MIN ||
    input.password.length > PASSWORD_MAX
  ) {
    throw ValidationError.field('password', `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
  const userId = newAggregateId(context.commandId);
  const now = deps.runner.now();
  const command = {
    type: 'RegisterUser' as const,
    data: { userId, username: input.username, email: input.email },
    metadata: { actorId: userId, now },
  };
  // Validate before touching the table, so a refused registration leaves nothing behind.
  const [registered] = userDecider.decide(command, userDecider.initialState());
  if (registered === undefined) throw new Error('a registration that decided nothing');
  try {
    await deps.credentials.insert({
      userId,
      username: registered.data.username,
      email: registered.data.email,
      passwordHash: await deps.hasher.hash(input.password),
      isAdmin: input.isAdmin ?? false,
    });
  } catch (error) {
    if (!(error instanceof TakenError)) throw error;
    const earlier = context.commandId === undefined ? null : await deps.credentials.findById(userId);
    if (earlier === null) throw new IllegalStateError(error.message, { cause: error });
  }
  try {
    const result = await deps.runner.run(
      userDecider,
      userStream(userId),
      { ...context, actorId: userId, now },
      (_, metadata) => ({ ...command, metadata }),
    );
    return { ...result, userId };
  } catch (error) {
    // A refusal frees the username. An outage may have appended or not: with a command id, a retry completes it.
    if (context.commandId === undefined || error instanceof DomainError)
      await deps.credentials.remove(userId).catch(() => undefined);
    throw error;
  }
};
