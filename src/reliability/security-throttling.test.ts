/**
 * Login throttling across addresses and accounts (QUALITY.md, "logins are rate limited"), beyond
 * src/api/auth/throttling.test.ts: random sequences of failed logins spread over accounts and addresses answer
 * exactly as a model of the two limits says (per account across addresses, per address across accounts); the
 * counters are the same whichever login path is used (`/api/v1/auth/login/`, without its slash, `/api/token/`) and
 * however the account's name is spelled (case, `İ` for `i`); a limited account is refused its right password on
 * every path, from every address; a malformed attempt counts for nothing.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { useTestApi } from '../../test/support/suite';
import { recordFigures } from '../../test/support/figures';

const PASSWORD = 'correct horse battery staple';
const PER_ACCOUNT = 3;
const PER_ADDRESS = 5;
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
const PATHS = ['/api/v1/auth/login/', '/api/v1/auth/login', '/api/token/', '/api/token'];

describe('login throttling across addresses and accounts', () => {
  const api = useTestApi({
    rateLimits: { loginPerAccount: PER_ACCOUNT, loginPerAddress: PER_ADDRESS, registerPerAddress: 100_000 },
    trustProxy: 'loopback',
  });
  let attempts = 0;
  afterAll(() => recordFigures('security-throttling', { runs: RUNS, 'login attempts': attempts }));

  /** A fresh address of its own (so that earlier runs' counts do not matter). */
  const address = () => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  /** Spellings of a name that are the same account. */
  const spell = (username: string, how: number) =>
    [
      username,
      username.toUpperCase(),
      username.replace(/i/g, 'İ'),
      `${username[0]!.toUpperCase()}${username.slice(1)}`,
    ][how % 4]!;
  const attempt = (username: string, password: string, from: string, path = PATHS[0]!) => {
    attempts += 1;
    return api.http.post(path).set('X-Forwarded-For', from).send({ username, password });
  };

  it(
    'answers random failed logins over accounts and addresses as the two limits say, on every path and spelling',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({ account: fc.nat(2), address: fc.nat(2), path: fc.nat(3), spelling: fc.nat(3) }),
            {
              minLength: 4,
              maxLength: 16,
            },
          ),
          async (sequence) => {
            const users = await Promise.all([0, 1, 2].map(() => api.user('iris')));
            const addresses = [address(), address(), address()];
            const byAccount = [0, 0, 0];
            const byAddress = [0, 0, 0];
            for (const { account, address: at, path, spelling } of sequence) {
              // The model: the account's counter first (a request it refuses never reaches the address's), then the
              // address's; a refused attempt still counts against the limiter that saw it.
              byAccount[account]! += 1;
              let expected = 401;
              if (byAccount[account]! > PER_ACCOUNT) expected = 429;
              else {
                byAddress[at]! += 1;
                if (byAddress[at]! > PER_ADDRESS) expected = 429;
              }
              const res = await attempt(
                spell(users[account]!.username, spelling),
                'wrong password',
                addresses[at]!,
                PATHS[path],
              );
              expect({ account, at, status: res.status }).toEqual({ account, at, status: expected });
            }
            // A limited account is refused its right password from anywhere, on every path.
            for (const [i, count] of byAccount.entries())
              if (count >= PER_ACCOUNT)
                for (const path of PATHS)
                  expect((await attempt(users[i]!.username, PASSWORD, address(), path)).status).toBe(429);
          },
        ),
        { numRuns: RUNS, endOnFailure: true },
      );
    },
    Math.max(120_000, RUNS * 10_000),
  );

  it('counts no malformed attempt, and lets the right password in until the limit', async () => {
    const user = await api.user('steady');
    const from = address();
    for (let i = 0; i < 10; i++) {
      const res = await api.http
        .post('/api/token/')
        .set('X-Forwarded-For', from)
        .send({ username: user.username, password: 123 });
      expect(res.status).toBe(400);
    }
    for (let i = 0; i < PER_ACCOUNT - 1; i++)
      expect((await attempt(user.username, 'wrong', from)).status).toBe(401);
    expect((await attempt(user.username.toUpperCase(), PASSWORD, from, '/api/token/')).status).toBe(200);
  });
});
