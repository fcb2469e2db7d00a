import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ConcurrencyError, DomainError, type FieldError } from '../domain/shared/errors';
import {
  AppendTooLargeError,
  EventStoreAccessDeniedError,
  EventStoreUnavailableError,
  StreamDeletedError,
} from '../eventstore/port';
import { AsOfTooLargeError } from '../projections/as-of/project-issues';
import { isPostgresUnavailable } from '../shared/postgres-errors';
import { redactUrl } from '../shared/redact-url';

/** An error that already knows its HTTP answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail?: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
  }
}

const TITLES: Record<number, string> = {
  400: 'Invalid input',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export const sendProblem = (
  res: Response,
  status: number,
  detail: string,
  extra: { title?: string; errors?: FieldError[]; headers?: Record<string, string> } = {},
): void => {
  for (const [name, value] of Object.entries(extra.headers ?? {})) res.setHeader(name, value);
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: extra.title ?? TITLES[status] ?? 'Error',
        status,
        detail,
        ...(extra.errors ? { errors: extra.errors } : {}),
      }),
    );
};

const DOMAIN_STATUS: Record<DomainError['code'], number> = {
  validation: 400,
  not_found: 404,
  forbidden: 403,
  illegal_state: 409,
  concurrency: 412,
};

/**
 * What a library's own 4xx was about: the router's (a path segment that is not valid percent-encoding) or the
 * body parser's (anything else it refuses: the body).
 */
const fieldOf = (error: { type?: string; message?: string }): FieldError =>
  error.type === undefined && /^Failed to decode param/.test(error.message ?? '')
    ? { path: 'path', message: 'not valid percent-encoding' }
    : { path: 'body', message: error.message ?? 'refused' };

/** The one place errors become problem+json; nothing a client sends may end as a 500. */
export const problemHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error, req, res, _next) => {
    if (res.headersSent) {
      // Too late for a problem document: cut the response, so the client sees it broken rather than waiting.
      logger.error(
        { err: error, url: redactUrl(req.originalUrl) },
        'error after the response started; connection cut',
      );
      res.destroy();
      return;
    }
    if (error instanceof HttpError) {
      sendProblem(res, error.status, error.message, { title: error.title, ...error.extra });
      return;
    }
    if (error instanceof ConcurrencyError) {
      // Named as the client knows it (the organization, the issue), never by the log's stream name.
      const what = error.streamId.split('-')[0] ?? 'resource';
      if (req.get('if-match')) {
        const now = error.actualRevision === null ? 'no longer exists' : `is at "${error.actualRevision}"`;
        sendProblem(
          res,
          412,
          `the ${what} has changed since "${error.expectedRevision}" (it ${now}): read it again and retry`,
          { errors: [{ path: 'If-Match', message: `the ${what} ${now}` }] },
        );
      } else {
        // Without If-Match a conflict means the retries ran out: the state moved on, not the client's precondition.
        sendProblem(res, 409, `the ${what} was being changed by others at the same time: try again`);
      }
      return;
    }
    if (error instanceof DomainError) {
      const status = DOMAIN_STATUS[error.code];
      const errors = 'errors' in error ? (error.errors as FieldError[]) : undefined;
      sendProblem(res, status, error.message, errors ? { errors } : {});
      return;
    }
    // body-parser's errors carry their status and a type.
    const e = error as { type?: string; status?: number; statusCode?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      sendProblem(res, 400, 'the body is not valid JSON', {
        errors: [{ path: 'body', message: 'malformed JSON' }],
      });
      return;
    }
    if (e?.type === 'entity.too.large') {
      sendProblem(res, 413, 'the body is larger than 1 MiB', {
        errors: [{ path: 'body', message: 'larger than 1 MiB' }],
      });
      return;
    }
    if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
      const header = e.type === 'charset.unsupported' ? 'Content-Type' : 'Content-Encoding';
      sendProblem(res, 415, e.message ?? 'unsupported encoding', {
        errors: [{ path: header, message: e.message ?? 'unsupported' }],
      });
      return;
    }
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendProblem(res, status, e.message ?? 'bad request', { errors: [fieldOf(e)] });
      return;
    }
    if (error instanceof AsOfTooLargeError) {
      sendProblem(res, 422, `${error.message}: ask for a single issue's as_of, or a later moment`, {
        errors: [{ path: 'as_of', message: 'needs more history than one request may replay' }],
      });
      return;
    }
    if (error instanceof AppendTooLargeError) {
      sendProblem(res, 413, 'the change is larger than the event store accepts in one write');
      return;
    }
    if (error instanceof StreamDeletedError) {
      const what = error.streamId.split('-')[0] ?? 'resource';
      sendProblem(res, 409, `the ${what} was removed from the event log for good and cannot change`);
      return;
    }
    if (error instanceof EventStoreAccessDeniedError) {
      // The deployment's rights on the event store are wrong: the client can only wait for an operator.
      (req as { log?: Logger }).log?.error({ err: error }, 'the event store refused access') ??
        logger.error({ err: error }, 'the event store refused access');
      sendProblem(res, 503, 'a dependency is unavailable; try again later', {
        headers: { 'Retry-After': '30' },
      });
      return;
    }
    if (error instanceof EventStoreUnavailableError || isPostgresUnavailable(error)) {
      sendProblem(res, 503, 'a dependency is unavailable; try again shortly', {
        headers: { 'Retry-After': '1' },
      });
      return;
    }
    (req as { log?: Logger }).log?.error({ err: error }, 'unhandled error') ??
      logger.error({ err: error }, 'unhandled error');
    sendProblem(res, 500, 'something went wrong on our side');
  };
