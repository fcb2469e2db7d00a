import { createHash, timingSafeEqual } from 'node:crypto';
import cors from 'cors';
import express, { type Express, type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from 'pino';
import { createAuthenticate } from './auth/authenticate';
import { type AuthDeps, authRoutes } from './auth/routes';
import type { TokenService } from './auth/tokens';
import { buildDocument, createRegistry } from './openapi';
import { problemHandler, sendProblem } from './problem';
import { authLimiters, type RateLimits, type RateLimitStores } from './rate-limits';
import { requestId, requestIdMiddleware } from './request-id';
import { describeRoutes } from './route-docs';
import { methodNotAllowed, mountRoutes, type RouteSpec } from './routing';
import { redactUrl } from '../shared/redact-url';
import { absoluteAttachmentUrls } from './routes/attachments';

export interface Operations {
  /** `/readyz`: every dependency reachable, or 503 naming the ones that are not. */
  readiness?: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** `/metrics`: Prometheus exposition. */
  metrics?: { contentType: string; text(): Promise<string> };
  /** Set: `/metrics` answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** Called with each finished request, for latency histograms. */
  observe?: (method: string, route: string, status: number, seconds: number) => void;
}

export interface AppDeps extends Omit<AuthDeps, 'limiters'> {
  logger: Logger;
  tokens: TokenService;
  /** Route groups beyond auth (organizations, projects, issues, admin…), each a list of specs. */
  routes: (authenticate: RequestHandler) => RouteSpec[];
  idempotency: RequestHandler;
  corsOrigins: readonly string[];
  rateLimits: RateLimits;
  /** Where the limiters count: shared by every API process (Redis, or PostgreSQL). */
  rateLimitStores: RateLimitStores;
  /** Express's `trust proxy`: which proxies' `X-Forwarded-For` names the client (default: none). */
  trustProxy?: boolean | number | string;
  operations?: Operations;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Probed every few seconds by orchestrators: logged at debug level only. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Bodies must be JSON: anything else that carries a body is refused with 415 before it is read. A route that reads
 * a `multipart/form-data` body itself (uploads) gets its body unread, and answers 415 for anything else itself.
 */
const requireJson =
  (multipartPaths: readonly RegExp[]): RequestHandler =>
  (req, res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && multipartPaths.some((p) => p.test(req.path))) return next();
    if (hasBody && !req.is(JSON_TYPES)) {
      sendProblem(res, 415, 'the body must be application/json', {
        errors: [{ path: 'Content-Type', message: 'must be application/json' }],
      });
      return;
    }
    next();
  };

/** Compares `Authorization: Bearer …` with the token in constant time; no token configured lets everyone in. */
const bearerIs = (token: string | undefined) => {
  if (token === undefined) return () => true;
  const expected = createHash('sha256').update(token).digest();
  return (header: string | undefined): boolean => {
    const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    return given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
};

/**
 * Security headers. Scripts only from this origin everywhere but on the Swagger UI page, which alone may run
 * inline scripts. Neither `upgrade-insecure-requests` nor HSTS on plain HTTP: a browser told either over HTTP at
 * any address but loopback asks for the page's scripts over HTTPS, which the server does not speak.
 */
const securityHeaders = (): RequestHandler => {
  const headers = (scriptSrc: string[]) =>
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': scriptSrc,
          'img-src': ["'self'", 'data:'],
          'upgrade-insecure-requests': null,
        },
      },
      strictTransportSecurity: false,
    });
  const api = headers(["'self'"]);
  const docs = headers(["'self'", "'unsafe-inline'"]);
  return (req, res, next) => {
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    (req.path === '/api/docs' || req.path.startsWith('/api/docs/') ? docs : api)(req, res, next);
  };
};

/** `/healthz`, `/readyz` and `/metrics`: on the API, and alone on processes that run no API. */
const mountOperations = (app: Express, operations: Operations | undefined): void => {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const result = operations?.readiness ? await operations.readiness() : { ok: true, checks: {} };
    res
      .status(result.ok ? 200 : 503)
      .json({ status: result.ok ? 'ok' : 'unavailable', checks: result.checks });
  });
  const metricsAllowed = bearerIs(operations?.metricsToken);
  app.get('/metrics', async (req, res) => {
    if (!operations?.metrics) {
      sendProblem(res, 404, 'metrics are not enabled');
      return;
    }
    if (!metricsAllowed(req.get('authorization'))) {
      sendProblem(res, 401, 'metrics need the bearer token the server was configured with', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
      return;
    }
    res.type(operations.metrics.contentType).send(await operations.metrics.text());
  });
};

/** The operations endpoints alone, for a process that serves no API (the projector role). */
export const createOperationsApp = (operations: Operations): Express => {
  const app = express();
  app.disable('x-powered-by');
  mountOperations(app, operations);
  app.use((req, res) => sendProblem(res, 404, `no route for ${req.method} ${req.path}`));
  return app;
};

/** One short line per request: what was asked, by whom, the answer and how long it took; no headers. */
const requestLog = (logger: Logger): RequestHandler =>
  pinoHttp({
    logger,
    genReqId: (req) => requestId(req as express.Request),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (req) => ({ userId: ((req as express.Request).user as { id?: string } | undefined)?.id }),
    customLogLevel: (req, res, error) =>
      PROBES.has((req.url ?? '').split('?')[0] ?? '')
        ? 'debug'
        : error || res.statusCode >= 500
          ? 'error'
          : 'info',
  });

/** Tells `observe` of every finished request, by route pattern (not path), for latency histograms. */
const observeRequests =
  (observe: NonNullable<Operations['observe']>): RequestHandler =>
  (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      observe(
        req.method,
        `${req.baseUrl}${route}`,
        res.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  };

const corsFor = (origins: readonly string[]): RequestHandler =>
  cors({
    origin: origins.includes('*') ? true : [...origins],
    exposedHeaders: ['ETag', 'Location', 'X-Position', 'X-Request-Id', 'Idempotent-Replayed'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'If-Match',
      'Idempotency-Key',
      'Prefer',
      'X-Request-Id',
      'X-Min-Position',
    ],
  });

/** The routes, their OpenAPI document at /api/schema/ and Swagger UI at /api/docs/, and 405 for other methods. */
const mountApi = (app: Express, deps: AppDeps): void => {
  const authenticate = createAuthenticate(deps.tokens);
  const specs = [
    ...authRoutes({ ...deps, limiters: authLimiters(deps.rateLimits, deps.rateLimitStores) }),
    ...deps.routes(authenticate),
  ];
  const multipartPaths = specs
    .filter((s) => s.multipart !== undefined)
    .map((s) => new RegExp(`^${s.path.replace(/\{\w+\}/g, '[^/]+').replace(/\/$/, '')}/?$`));
  app.use(requireJson(multipartPaths));
  app.use(express.json({ limit: '1mb', type: JSON_TYPES }));
  app.use(absoluteAttachmentUrls);
  const router = Router({ strict: false });
  mountRoutes(router, specs, authenticate, deps.idempotency);
  app.use(router);

  const registry = createRegistry();
  describeRoutes(registry, specs);
  const document = buildDocument(registry);
  app.get(['/api/schema', '/api/schema/'], (_req, res) => {
    res.json(document);
  });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(document as Parameters<typeof swaggerUi.setup>[0]));
  app.use(methodNotAllowed(specs));
};

/** The express app, without `listen()`: tests drive it with supertest, main.ts gives it a server. */
export const createApp = (deps: AppDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  // ETags are stream revisions set by the routes; express's own body-hash ETags would contradict them.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('query parser', 'simple');

  app.use(requestIdMiddleware);
  app.use(requestLog(deps.logger));
  if (deps.operations?.observe) app.use(observeRequests(deps.operations.observe));
  app.use(securityHeaders());
  app.use(corsFor(deps.corsOrigins));
  mountOperations(app, deps.operations);

  mountApi(app, deps);

  app.use((req, res) => {
    sendProblem(res, 404, `no route for ${req.method} ${req.path}`);
  });
  app.use(problemHandler(deps.logger));
  return app;
};
