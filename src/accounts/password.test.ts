import { scryptHasher } from './password';

describe('scrypt password hashing', () => {
  const hasher = scryptHasher(10);

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify('correct horse battery staple', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery stapler', stored)).toBe(false);
  });

  it('salts every hash and never stores the password', async () => {
    const [a, b] = [await hasher.hash('same password'), await hasher.hash('same password')];
    expect(a).not.toBe(b);
    expect(a).not.toContain('same password');
    expect(a).toMatch(/^scrypt\$10\$8\$1\$/);
  });

  it('keeps verifying hashes made at another cost', async () => {
    const old = await scryptHasher(11).hash('pw before the upgrade');
    expect(await hasher.verify('pw before the upgrade', old)).toBe(true);
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await hasher.verify('x', 'bcrypt$whatever')).toBe(false);
  });
});
