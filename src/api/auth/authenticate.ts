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
export const createAuthenticate = (tokens: TokenService): RequestHandler => {
  const passport = new Passport();
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
      (payload: { sub?: unknown }, done: (error: unknown, user?: Principal | false) => void) => {
        // Only a user id can act: any other subject would reach the commands and the log as an actor.
        done(
          null,
          typeof payload.sub === 'string' && UUID_PATTERN.test(payload.sub) ? { id: payload.sub } : false,
        );
      },
    ),
  );
  const initialize = passport.initialize();
  return (req, res, next) => {
    initialize(req, res, () => {
      passport.authenticate('jwt', { session: false }, (error: unknown, user: Principal | false) => {
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
        req.user = user;
        next();
      })(req, res, next);
    });
  };
};
