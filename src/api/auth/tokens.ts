import jwt from 'jsonwebtoken';

/** Access tokens: short-lived HS256 JWTs; the algorithm, issuer and audience are pinned on verification. */
export interface TokenService {
  readonly algorithm: 'HS256';
  readonly issuer: string;
  readonly audience: string;
  readonly secret: string;
  readonly accessTtlSeconds: number;
  sign(userId: string): string;
  /** The user id, or null for a bad, expired or tampered token. */
  verify(token: string): string | null;
}

export const createTokenService = (options: { secret: string; accessTtlSeconds?: number }): TokenService => {
  const issuer = 'team-tracker';
  const audience = 'team-tracker-api';
  const accessTtlSeconds = options.accessTtlSeconds ?? 900;
  return {
    algorithm: 'HS256',
    issuer,
    audience,
    secret: options.secret,
    accessTtlSeconds,
    sign: (userId) =>
      jwt.sign({}, options.secret, {
        algorithm: 'HS256',
        subject: userId,
        issuer,
        audience,
        expiresIn: accessTtlSeconds,
      }),
    verify(token) {
      try {
        const payload = jwt.verify(token, options.secret, { algorithms: ['HS256'], issuer, audience });
        return typeof payload === 'object' && typeof payload.sub === 'string' ? payload.sub : null;
      } catch {
        return null;
      }
    },
  };
};
