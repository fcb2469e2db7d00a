/** The credential store port in memory, for tests whose subject is not the credentials table. */
import { type Credentials, type CredentialStore, TakenError } from '../../src/accounts/credentials';
import type { PasswordHasher } from '../../src/accounts/password';

export const inMemoryCredentials = (): CredentialStore => {
  const byId = new Map<string, Credentials>();
  const find = (field: 'username' | 'email', value: string) =>
    [...byId.values()].find((c) => c[field].toLowerCase() === value.toLowerCase()) ?? null;
  return {
    async insert(credentials) {
      for (const field of ['username', 'email'] as const) {
        if (find(field, credentials[field])) throw new TakenError(field);
      }
      byId.set(credentials.userId, { ...credentials });
    },
    async remove(userId) {
      byId.delete(userId);
    },
    async findByUsername(username) {
      return find('username', username);
    },
    async findById(userId) {
      return byId.get(userId) ?? null;
    },
    async setAdmin(userId, isAdmin) {
      const found = byId.get(userId);
      if (found) byId.set(userId, { ...found, isAdmin });
    },
  };
};

/** Keeps passwords as they are: for tests where nobody logs in. */
export const plainHasher: PasswordHasher = {
  hash: async (password) => `plain$${password}`,
  verify: async (password, stored) => stored === `plain$${password}`,
};
