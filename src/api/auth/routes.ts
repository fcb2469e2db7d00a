import type { Commands } from '../../commands';
import type { CredentialStore } from '../../accounts/credentials';
import type { PasswordHasher } from '../../accounts/password';
import type { NotificationPreferences } from '../../accounts/preferences';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../commands/users/register';
import type { SessionStore } from '../../accounts/sessions';
import { type CommandResponseDeps, respondToCommand } from '../command-response';
import { problemSchema, z } from '../openapi';
import { idempotentCommandId } from '../idempotency';
import { HttpError } from '../problem';
import type { AuthLimiters } from '../rate-limits';
import { requestId } from '../request-id';
import { minPosition } from '../routes/shared';
import { type RouteSpec, route } from '../routing';
import { principal } from './authenticate';
import type { TokenService } from './tokens';

export interface AuthDeps {
  commands: Commands;
  credentials: CredentialStore;
  hasher: PasswordHasher;
  sessions: SessionStore;
  /** Whether users get their notifications by email too (`PATCH /me/`). */
  preferences: NotificationPreferences;
  tokens: TokenService;
  responses: CommandResponseDeps;
  limiters: AuthLimiters;
  /** A login's refresh token family was revoked (logout, or a spent token reused): its sockets must close. */
  onSessionRevoked?: (session: { userId: string; familyId: string }) => void;
}

const registerBody = z
  .object({
    username: z.string().min(1).max(150),
    email: z.string().min(3).max(254),
    password: z.string().min(PASSWORD_MIN).max(PASSWORD_MAX),
  })
  .openapi('RegisterRequest');
const userSchema = z.object({ id: z.uuid(), username: z.string(), email: z.string() }).openapi('User');
const meSchema = userSchema.extend({ is_admin: z.boolean(), email_notifications: z.boolean() }).openapi('Me');
const meBody = z
  .object({
    email_notifications: z
      .boolean({ message: 'must be true or false' })
      .openapi({ description: 'Whether notifications also come by email (when the server sends email)' }),
  })
  .openapi('UpdateMeRequest');
/** What `GET /me/` answers that no request writes: sent back by a client round-tripping it, and ignored. */
const ME_READ_ONLY = ['id', 'username', 'email', 'is_admin'];
const loginBody = z
  .object({ username: z.string().min(1).max(150), password: z.string().min(1).max(PASSWORD_MAX) })
  .openapi('LoginRequest');
const tokensSchema = z
  .object({
    access: z.string(),
    refresh: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
  })
  .openapi('Tokens');
const refreshBody = z.object({ refresh: z.string().min(1).max(200) }).openapi('RefreshRequest');

const unauthenticated = (detail: string) =>
  new HttpError(401, 'Not authenticated', detail, { headers: { 'WWW-Authenticate': 'Bearer' } });

const tokensFor = (deps: AuthDeps, session: { userId: string; familyId: string; refresh: string }) => ({
  access: deps.tokens.sign(session.userId, session.familyId),
  refresh: session.refresh,
  token_type: 'Bearer' as const,
  expires_in: deps.tokens.accessTtlSeconds,
});

const registerRoute = (deps: AuthDeps) =>
  route({
    method: 'post',
    path: '/api/v1/auth/register/',
    summary: 'Register a user',
    tag: 'auth',
    auth: false,
    body: registerBody,
    readOnly: ['id'],
    before: deps.limiters.register,
    responses: {
      201: { description: 'Registered', schema: userSchema },
      409: { description: 'Username or email taken' },
    },
    async handler({ body, req, res }) {
      const result = await deps.commands.registerUser(body, {
        correlationId: requestId(req),
        commandId: idempotentCommandId(res),
      });
      const user = result.events[0]!.data;
      await respondToCommand(deps.responses, req, res, {
        position: result.position,
        status: 201,
        location: '/api/v1/me/',
        body: async () => ({ id: result.userId, username: user.username, email: user.email }),
      });
    },
  });

/** Verifying against a throwaway hash when the user is unknown keeps both answers equally slow. */
const loginRoute = (deps: AuthDeps, decoy: Promise<string>, path: string) =>
  route({
    method: 'post',
    path,
    summary: 'Log in: an access token and a refresh token',
    tag: 'auth',
    auth: false,
    body: loginBody,
    before: deps.limiters.login,
    idempotent: false,
    responses: {
      200: { description: 'Tokens', schema: tokensSchema },
      401: { description: 'Bad credentials (the same answer for an unknown user)', schema: problemSchema },
    },
    async handler({ body, res }) {
      const user = await deps.credentials.findByUsername(body.username);
      const ok = await deps.hasher.verify(body.password, user?.passwordHash ?? (await decoy));
      if (!user || !ok) throw unauthenticated('invalid username or password');
      res.json(tokensFor(deps, await deps.sessions.start(user.userId)));
    },
  });

const refreshRoute = (deps: AuthDeps, path: string) =>
  route({
    method: 'post',
    path,
    summary: 'Trade a refresh token for new tokens; the old one stops working',
    tag: 'auth',
    auth: false,
    body: refreshBody,
    idempotent: false,
    responses: {
      200: { description: 'New tokens', schema: tokensSchema },
      401: { description: 'Unknown, expired, spent or revoked refresh token', schema: problemSchema },
    },
    async handler({ body, res }) {
      const outcome = await deps.sessions.rotate(body.refresh);
      if (!outcome.ok && outcome.reason === 'reused') deps.onSessionRevoked?.(outcome);
      if (!outcome.ok) {
        throw unauthenticated(
          `the refresh token is ${outcome.reason === 'reused' ? 'spent; its family is revoked' : outcome.reason}`,
        );
      }
      res.json(tokensFor(deps, outcome));
    },
  });

const logoutRoute = (deps: AuthDeps) =>
  route({
    method: 'post',
    path: '/api/v1/auth/logout/',
    summary: 'Log out: revoke the refresh token and its family',
    tag: 'auth',
    auth: true,
    body: refreshBody,
    idempotent: false,
    responses: { 204: { description: 'Logged out' } },
    async handler({ body, req, res }) {
      const revoked = await deps.sessions.revoke(body.refresh, principal(req).id);
      if (revoked) deps.onSessionRevoked?.(revoked);
      res.status(204).end();
    },
  });

/** The signed-in user as `/me/` shows it; 401 when the token names a user that is gone. */
const me = async (deps: AuthDeps, userId: string) => {
  const [user, emailNotifications] = await Promise.all([
    deps.credentials.findById(userId),
    deps.preferences.emailNotifications(userId),
  ]);
  if (!user) throw unauthenticated('the user no longer exists');
  return {
    id: user.userId,
    username: user.username,
    email: user.email,
    is_admin: user.isAdmin,
    email_notifications: emailNotifications ?? true,
  };
};

const meRoute = (deps: AuthDeps) =>
  route({
    method: 'get',
    path: '/api/v1/me/',
    summary: 'The signed-in user',
    tag: 'auth',
    auth: true,
    query: z.object({ min_position: z.string().optional() }),
    before: [minPosition({ responses: deps.responses, minPositionTimeoutMs: deps.responses.timeoutMs })],
    responses: { 200: { description: 'The user', schema: meSchema } },
    async handler({ req, res }) {
      res.json(await me(deps, principal(req).id));
    },
  });

/** Settings of the signed-in user's own (not event-sourced: a preference is no business fact). */
const updateMeRoute = (deps: AuthDeps) =>
  route({
    method: 'patch',
    path: '/api/v1/me/',
    summary: 'Turn email notifications off or on',
    tag: 'auth',
    auth: true,
    body: meBody,
    readOnly: ME_READ_ONLY,
    responses: { 200: { description: 'The user', schema: meSchema } },
    async handler({ body, req, res }) {
      const userId = principal(req).id;
      if (!(await deps.preferences.setEmailNotifications(userId, body.email_notifications)))
        throw unauthenticated('the user no longer exists');
      res.json(await me(deps, userId));
    },
  });

export const authRoutes = (deps: AuthDeps): RouteSpec[] => {
  const decoy = deps.hasher.hash('decoy password that never matches');
  return [
    registerRoute(deps),
    loginRoute(deps, decoy, '/api/v1/auth/login/'),
    loginRoute(deps, decoy, '/api/token/'),
    refreshRoute(deps, '/api/v1/auth/refresh/'),
    refreshRoute(deps, '/api/token/refresh/'),
    logoutRoute(deps),
    meRoute(deps),
    updateMeRoute(deps),
  ];
};
