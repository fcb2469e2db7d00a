import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt, a memory-hard function built into Node (no native addon to install).
 * The stored form carries its parameters, so raising the cost later keeps old hashes verifiable:
 * `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`.
 */

const KEY_LENGTH = 32;

const scrypt = (password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** logN;
    scryptCallback(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { N, r, p, maxmem: 256 * N * r },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

/** `cost` is log2 of scrypt's N: 15 (32 MiB, tens of milliseconds) in production, lower in tests. */
export const scryptHasher = (cost = 15): PasswordHasher => ({
  async hash(password) {
    const salt = randomBytes(16);
    const key = await scrypt(password, salt, cost, 8, 1);
    return ['scrypt', cost, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
  },
  async verify(password, stored) {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    const expected = Buffer.from(parts[5]!, 'base64');
    const key = await scrypt(password, Buffer.from(parts[4]!, 'base64'), logN, r, p);
    return key.length === expected.length && timingSafeEqual(key, expected);
  },
});
