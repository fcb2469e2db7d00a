import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** JSON logs; secrets are redacted wherever they might appear. */
export const createLogger = (options: { level: string; name?: string }): Logger =>
  pino({
    name: options.name ?? 'team-tracker',
    level: options.level,
    redact: {
      paths: [
        'password',
        '*.password',
        'req.headers.authorization',
        'req.headers.cookie',
        'refresh',
        '*.refresh',
        'access',
        '*.access',
        'token',
        '*.token',
        'passwordHash',
        '*.passwordHash',
      ],
      censor: '[redacted]',
    },
  });
