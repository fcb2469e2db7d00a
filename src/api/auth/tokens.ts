import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** What a valid access token says: who, from which login (refresh token family), until when. */
export interface AccessClaims {
  userId: string;
  /** The refresh token family (login) it was issued from; null for tokens issued without one. */
  sessionId: string | null;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Access tokens: short-lived HS256 JWTs; the algorithm, issuer and audience are pinned on verification. */
export interface TokenService {
  readonly algorithm: 'HS256';
  readonly issuer: string;
  readonly audience: string;
  /** The HMAC key, made once (a string secret would be turned into a key on every verification). */
  readonly key: KeyObject;
  readonly accessTtlSeconds: number;
  sign(userId: string, sessionId?: string): string;
  /** The claims of a valid token, or null for a bad, expired or tampered one. */
  verify(token: string): AccessClaims | null;
}

export const createTokenService = (options: { secret: string; accessTtlSeconds: number }): TokenService => {
  const issuer = 'team-tracker';
  const audience = 'team-tracker-api';
  const { accessTtlSeconds } = options;
  const key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  return {
    algorithm: 'HS256',
    issuer,
    audience,
    key,
    accessTtlSeconds,
    sign: (userId, sessionId) =>
      jwt.sign(sessionId ? { sid: sessionId } : {}, key, {
        algorithm: 'HS256',
        subject: userId,
        issuer,
        audience,
        expiresIn: accessTtlSeconds,
      }),
    verify(token) {
      try {
        const payload = jwt.verify(token, key, { algorithms: ['HS256'], issuer, audience });
        if (typeof payload !== 'object' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number')
          return null;
        const sid = (payload as { sid?: unknown }).sid;
        return {
          userId: payload.sub,
          sessionId: typeof sid === 'string' ? sid : null,
          expiresAt: payload.exp * 1000,
        };
      } catch {
        return null;
      }
    },
  };
};
