/**
 * One account, one counter of failed logins, however its name is spelled (found by
 * src/reliability/security-throttling.test.ts): the lookup matches names as PostgreSQL's lower() does, so `İris`
 * logs in as `iris`; the limiter counted `İ` as a letter of its own, and every `i` spelled `İ` gave an attacker a
 * fresh allowance against the same account.
 */
import { useTestApi } from '../../../test/support/suite';
import { accountKey } from '../rate-limits';

describe('failed logins per account, however the name is spelled', () => {
  const api = useTestApi({
    rateLimits: { loginPerAccount: 3, loginPerAddress: 1000, registerPerAddress: 1000 },
    trustProxy: 'loopback',
  });

  it('keys İ, I and i alike, as the credentials lookup matches them', () => {
    expect(accountKey('İrİs')).toBe('iris');
    expect(accountKey('IRIS')).toBe('iris');
    expect(accountKey('ΟΔΥΣΣΕΥΣ')).toBe(accountKey('οδυσσευσ'));
  });

  it('counts İris, IRIS and iris against one account', async () => {
    const user = await api.user('iris');
    const spellings = [
      user.username.replace(/i/g, 'İ'),
      user.username.toUpperCase(),
      user.username.replace(/i/, 'İ'),
      user.username,
    ];
    // Each spelling reaches the account: the right password logs in whichever is used (before any failure).
    const right = await api.http
      .post('/api/v1/auth/login/')
      .send({ username: spellings[0], password: 'correct horse battery staple' });
    expect(right.status).toBe(200);
    const statuses: number[] = [];
    for (const [i, username] of spellings.entries())
      statuses.push(
        (
          await api.http
            .post('/api/v1/auth/login/')
            .set('X-Forwarded-For', `203.0.113.${i + 1}`)
            .send({ username, password: `wrong ${i}` })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 429]);
    const blocked = await api.http
      .post('/api/token/')
      .set('X-Forwarded-For', '198.51.100.9')
      .send({ username: user.username, password: 'correct horse battery staple' });
    expect(blocked.status).toBe(429);
  });
});
