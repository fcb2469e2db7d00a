import type { Request, RequestHandler } from 'express';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { UUID_PATTERN } from '../../shared/uuid';
import { sendProblem } from '../problem';
import type { TokenService } from './tokens';

export interface Principal {
  id: string;
}

/** The authenticated caller; only call after `authenticate` ran. */
export const principal = (req: Request): Principal => {
  const user = req.user as Principal | undefined;
  if (!user) throw new Error('route is missing authentication');
  return user;
};

/**
 * passport-jwt with the algorithm, issuer and audience pinned: `alg: none`, other algorithms, expired and
 * tampered tokens are refused with 401 and `WWW-Authenticate: Bearer`.
 */
/** How many verified tokens `createAuthenticate` remembers (the least recently verified go first). */
const VERIFIED_TOKENS = 10_000;

export const createAuthenticate = (tokens: TokenService): RequestHandler => {
  const passport = new Passport();
  const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();
  // A token verified once is the same string with the same signature next time: only its expiry can change the
  // answer, so the next request with it skips the signature check (a client sends one token many times).
  const verified = new Map<string, { id: string; expiresAt: number }>();
  const remember = (token: string, id: string, exp: unknown) => {
    if (typeof exp !== 'number') return;
    verified.set(token, { id, expiresAt: exp * 1000 });
    if (verified.size > VERIFIED_TOKENS) verified.delete(verified.keys().next().value as string);
  };
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        // The key object made once: a string secret would be turned into a key on every request. passport-jwt
        // hands it to jsonwebtoken's verify, which takes key objects; its types only know strings and buffers.
        secretOrKeyProvider: (_req, _token, done) => done(null, tokens.key as unknown as Buffer),
        algorithms: [tokens.algorithm],
        issuer: tokens.issuer,
        audience: tokens.audience,
      },
      (
        payload: { sub?: unknown; exp?: unknown },
        done: (error: unknown, user?: (Principal & { exp: unknown }) | false) => void,
      ) => {
        // Only a user id can act: any other subject would reach the commands and the log as an actor.
        done(
          null,
          typeof payload.sub === 'string' && UUID_PATTERN.test(payload.sub)
            ? { id: payload.sub, exp: payload.exp }
            : false,
        );
      },
    ),
  );
  const initialize = passport.initialize();
  return (req, res, next) => {
    const token = bearerToken(req);
    const known = token ? verified.get(token) : undefined;
    if (known !== undefined) {
      if (known.expiresAt > Date.now()) {
        req.user = { id: known.id };
        next();
        return;
      }
      verified.delete(token!);
    }
    initialize(req, res, () => {
      passport.authenticate(
        'jwt',
        { session: false },
        (error: unknown, user: (Principal & { exp: unknown }) | false) => {
          if (error || !user) {
            const header = req.headers.authorization ? 'Bearer error="invalid_token"' : 'Bearer';
            sendProblem(
              res,
              401,
              req.headers.authorization ? 'the token is invalid or expired' : 'a bearer token is required',
              {
                headers: { 'WWW-Authenticate': header },
              },
            );
            return;
          }
          if (token) remember(token, user.id, user.exp);
          req.user = { id: user.id };
          next();
        },
      )(req, res, next);
    });
  };
};
