import cors from 'cors';
import express, { type Express, type RequestHandler, Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from 'pino';
import { createAuthenticate } from './auth/authenticate';
import { type AuthDeps, authRoutes } from './auth/routes';
import type { TokenService } from './auth/tokens';
import { buildDocument, createRegistry } from './openapi';
import { problemHandler, sendProblem } from './problem';
import { requestId, requestIdMiddleware } from './request-id';
import { type RouteSpec, mountRoutes } from './routing';

export interface Operations {
  /** `/readyz`: every dependency reachable, or 503 naming the ones that are not. */
  readiness?: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** `/metrics`: Prometheus exposition. */
  metrics?: { contentType: string; text(): Promise<string> };
  /** Called with each finished request, for latency histograms. */
  observe?: (method: string, route: string, status: number, seconds: number) => void;
}

export interface AppDeps extends Omit<AuthDeps, 'loginLimiter'> {
  logger: Logger;
  tokens: TokenService;
  /** Route groups beyond auth (organizations, projects, issues, admin…), each a list of specs. */
  routes: (authenticate: RequestHandler) => RouteSpec[];
  idempotency: RequestHandler;
  corsOrigins: readonly string[];
  loginRateLimit: { windowMs: number; limit: number };
  operations?: Operations;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Bodies must be JSON: anything else that carries a body is refused with 415 before it is read. */
const requireJson: RequestHandler = (req, res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(JSON_TYPES)) {
    sendProblem(res, 415, 'the body must be application/json');
    return;
  }
  next();
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
  app.get('/metrics', async (_req, res) => {
    if (!operations?.metrics) {
      sendProblem(res, 404, 'metrics are not enabled');
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

/** The express app, without `listen()`: tests drive it with supertest, main.ts gives it a server. */
export const createApp = (deps: AppDeps): Express => {
  const app = express();
  app.disable('x-powered-by');
  // ETags are stream revisions set by the routes; express's own body-hash ETags would contradict them.
  app.set('etag', false);
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.set('query parser', 'simple');

  app.use(requestIdMiddleware);
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req) => requestId(req as express.Request),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.replace(/([?&]token=)[^&]*/g, '$1[redacted]'),
        }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  if (deps.operations?.observe) {
    const observe = deps.operations.observe;
    app.use((req, res, next) => {
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
    });
  }
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'script-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] },
      },
    }),
  );
  app.use(
    cors({
      origin: deps.corsOrigins.includes('*') ? true : [...deps.corsOrigins],
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
    }),
  );

  mountOperations(app, deps.operations);

  app.use(requireJson);
  app.use(express.json({ limit: '1mb', type: JSON_TYPES }));

  const registry = createRegistry();
  const authenticate = createAuthenticate(deps.tokens);
  const loginLimiter = rateLimit({
    windowMs: deps.loginRateLimit.windowMs,
    limit: deps.loginRateLimit.limit,
    standardHeaders: 'draft-8',
    // Only failed attempts count: a client that logs in often with the right password is not an attacker.
    skipSuccessfulRequests: true,
    legacyHeaders: false,
    // Per client address and username: one attacker cannot lock everyone out, nor try one account from afar.
    keyGenerator: (req) =>
      `${ipKeyGenerator(req.ip ?? 'unknown')}|${String((req.body as { username?: unknown })?.username ?? '').toLowerCase()}`,
    handler: (_req, res) => sendProblem(res, 429, 'too many login attempts; try again later'),
  });
  const router = Router({ strict: false });
  mountRoutes(router, registry, authRoutes({ ...deps, loginLimiter }), authenticate, deps.idempotency);
  mountRoutes(router, registry, deps.routes(authenticate), authenticate, deps.idempotency);
  app.use(router);

  const document = buildDocument(registry);
  app.get(['/api/schema', '/api/schema/'], (_req, res) => {
    res.json(document);
  });
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(document as Parameters<typeof swaggerUi.setup>[0]));

  app.use((req, res) => {
    sendProblem(res, 404, `no route for ${req.method} ${req.path}`);
  });
  app.use(problemHandler(deps.logger));
  return app;
};
