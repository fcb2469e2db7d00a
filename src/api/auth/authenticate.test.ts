import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createAuthenticate, principal } from './authenticate';
import { createTokenService } from './tokens';

describe('authenticate, with the tokens it verified remembered', () => {
  const secret = 'test-secret-test-secret-test-secret-000';
  const tokens = createTokenService({ secret, accessTtlSeconds: 60 });
  const userId = '0190a6f1-0000-7000-8000-000000000001';
  const verify = jest.spyOn(jwt, 'verify');
  // The clock of the remembered tokens and of jsonwebtoken alike.
  let now = Date.now();
  const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
  afterAll(() => clock.mockRestore());

  const app = express();
  app.get('/me', createAuthenticate(tokens), (req, res) => {
    res.json({ id: principal(req).id });
  });
  const asking = (token: string) => request(app).get('/me').set('Authorization', `Bearer ${token}`);

  beforeEach(() => {
    now = Date.now();
    verify.mockClear();
  });

  it('checks a token once, and refuses it once it expires', async () => {
    const token = tokens.sign(userId);
    for (let i = 0; i < 3; i++) expect((await asking(token).expect(200)).body).toEqual({ id: userId });
    expect(verify).toHaveBeenCalledTimes(1);
    const { exp } = jwt.decode(token) as { exp: number };
    now = exp * 1000 - 1;
    await asking(token).expect(200);
    expect(verify).toHaveBeenCalledTimes(1);
    now = exp * 1000; // jsonwebtoken refuses a token from its `exp` second on, and so does the memory
    const expired = await asking(token).expect(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('refuses a remembered token changed by one character, and a token of another user is its own', async () => {
    const token = tokens.sign(userId);
    await asking(token).expect(200);
    const tampered = `${token.slice(0, -2)}${token.slice(-2) === 'AA' ? 'BB' : 'AA'}`;
    await asking(tampered).expect(401);
    await asking(`${token}x`).expect(401);
    const other = '0190a6f1-0000-7000-8000-000000000002';
    expect((await asking(tokens.sign(other)).expect(200)).body).toEqual({ id: other });
  });
});
