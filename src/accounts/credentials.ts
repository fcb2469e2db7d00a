/** Who may sign in, and how: kept out of the event log, in a table owned by the command side. */
export interface Credentials {
  userId: string;
  username: string;
  email: string;
  passwordHash: string;
  isAdmin: boolean;
}

export interface CredentialStore {
  /** Throws TakenError when the username or email (compared case-insensitively) is taken. */
  insert(credentials: Credentials): Promise<void>;
  remove(userId: string): Promise<void>;
  findByUsername(username: string): Promise<Credentials | null>;
  findById(userId: string): Promise<Credentials | null>;
  setAdmin(userId: string, isAdmin: boolean): Promise<void>;
}

export class TakenError extends Error {
  override readonly name = 'TakenError';
  constructor(readonly field: 'username' | 'email') {
    super(`${field} is taken`);
  }
}
