import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names that hold a credential, wherever they appear (top level or one object down). */
const SECRET_FIELDS = [
  'password',
  'passwordHash',
  'refresh',
  'refresh_token',
  'access',
  'access_token',
  'token',
  'secret',
  'jwtSecret',
  'authorization',
  'cookie',
];

/** JSON logs; secrets are redacted wherever they might appear (request URLs are redacted where they are logged). */
export const createLogger = (
  options: { level: string; name?: string },
  destination?: DestinationStream,
): Logger =>
  pino(
    {
      name: options.name ?? 'team-tracker',
      level: options.level,
      redact: {
        paths: [
          ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["sec-websocket-protocol"]',
          'headers.authorization',
          'headers["sec-websocket-protocol"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
