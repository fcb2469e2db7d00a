/**
 * Property-based, over raw TCP: whatever a client puts in a WebSocket upgrade — the path (`/ws/projects/{id}/`,
 * `/ws/notifications/`, anything else), `?token=`, `?since=`, other parameters, `Authorization`, subprotocols —
 * and whatever frames it sends once connected (text, binary, oversized, fragmented, pings, bad opcodes, reserved
 * bits, unmasked, invalid UTF-8), the server never errs: no 5xx, no close with 1011, no connection dropped without
 * a close frame, nothing unhandled in the process, nothing logged as an error; each refusal is an HTTP 4xx before
 * the upgrade or a documented close code (docs/realtime.md), and the one the route and token call for (4001 without
 * a valid token, 4003 a foreign project, 4004 an unknown one, `resync` for a `since` that is no position); and it
 * goes on serving the sockets it has. FUZZ_RUNS sets the runs.
 */
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { anOrganization } from '../../test/support/fixtures';
import { frame, type RawOutcome, rawUpgrade } from '../../test/support/raw-ws';
import { connect as connectWs, type TestSocket, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import { useUnhandledWatch } from '../../test/support/unhandled';
import { recordFigures } from '../../test/support/figures';
import { CLOSE } from './protocol';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
/** Per property: the long form's runs take longer. */
const TIMEOUT = Math.max(180_000, RUNS * 3000);

/** Close codes the server may use (docs/realtime.md), and those ws uses for frames that break RFC 6455. */
const DOCUMENTED = new Set<number>([
  1000,
  CLOSE.goingAway,
  1002, // protocol error: a bad opcode, reserved bits, an unmasked frame
  1007, // text that is not UTF-8
  CLOSE.policy,
  1009, // a frame over 4 KiB
  CLOSE.notAuthenticated,
  CLOSE.notMember,
  CLOSE.noSuchProject,
  CLOSE.tooManySockets,
]);

/** RFC 7230 token characters: what ws accepts in a subprotocol. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const validSubprotocols = (header: string): boolean => {
  const parts = header.split(',').map((p) => p.trim());
  return parts.every((p) => TOKEN.test(p)) && new Set(parts).size === parts.length;
};

/** What the runs ended with, for the long form's figures. */
const OUTCOMES = new Map<string, number>();
const tally = (outcome: string) => OUTCOMES.set(outcome, (OUTCOMES.get(outcome) ?? 0) + 1);

describe('fuzzing the WebSocket routes: upgrades and frames', () => {
  useUnhandledWatch();
  afterAll(() =>
    recordFigures('fuzz-websocket', { runs: RUNS, ...Object.fromEntries([...OUTCOMES].sort()) }),
  );
  const errors: string[] = [];
  const logger = {
    warn: () => undefined,
    error: (obj: object, msg: string) => errors.push(`${msg} ${JSON.stringify(obj)}`),
  };
  const api = useTestApi();
  const served = useServedRooms(api, { maxSocketsPerUser: 10_000, closeTimeoutMs: 500, logger });
  const home = useFixture(() => anOrganization(api, 'Fuzzed').withMember('member').withProject('P').build());
  const foreign = useFixture(() => anOrganization(api, 'Foreign').withProject('F').build());
  afterEach(() => expect(errors.splice(0)).toEqual([]));

  const port = () => Number(new URL(served.wsUrl('/')).port);

  /** Valid tokens (owner, member), and the attacks on them, each with whether the server must take it. */
  const tokens = () => {
    const { key, issuer, audience } = api.system.tokens;
    const claims = { sub: home.owner.id, iss: issuer, aud: audience };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const [head, body, signature] = home.owner.access.split('.') as [string, string, string];
    const otherBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), sub: foreign.owner.id }),
    ).toString('base64url');
    return [
      { token: home.owner.access, valid: true, who: 'owner' },
      { token: home.member.access, valid: true, who: 'member' },
      { token: jwt.sign(claims, '', { algorithm: 'none' }), valid: false },
      { token: jwt.sign(claims, key, { algorithm: 'HS512' }), valid: false },
      { token: jwt.sign(claims, privateKey, { algorithm: 'RS256' }), valid: false },
      {
        token: jwt.sign(claims, 'another secret another secret another', { algorithm: 'HS256' }),
        valid: false,
      },
      {
        token: jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 }, key, { algorithm: 'HS256' }),
        valid: false,
      },
      { token: `${head}.${otherBody}.${signature}`, valid: false },
      { token: home.owner.refresh, valid: false },
      { token: 'x', valid: false },
    ];
  };

  type PathKind = 'own' | 'foreign' | 'unknown' | 'junk' | 'notifications' | 'elsewhere';
  const pathArb = (): fc.Arbitrary<{ kind: PathKind; path: string }> =>
    fc.oneof(
      fc
        .constantFrom(
          home.projects.P,
          home.projects.P.toUpperCase(),
          `%${home.projects.P.charCodeAt(0).toString(16)}${home.projects.P.slice(1)}`,
        )
        .map((id) => ({ kind: 'own' as const, path: `/ws/projects/${id}/` })),
      fc.constant({ kind: 'foreign' as const, path: `/ws/projects/${foreign.projects.F}` }),
      fc.uuid().map((id) => ({ kind: 'unknown' as const, path: `/ws/projects/${id}/` })),
      fc
        .oneof(
          fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,40}$/),
          fc.constantFrom(
            '..',
            '%00',
            '%2F',
            '%2e%2e',
            'null',
            '0',
            '-1',
            '%ZZ',
            '%E0%A4%A',
            'a'.repeat(300),
          ),
        )
        .map((id) => ({ kind: 'junk' as const, path: `/ws/projects/${id}/` })),
      fc
        .constantFrom('/ws/notifications/', '/ws/notifications')
        .map((path) => ({ kind: 'notifications' as const, path })),
      fc
        .constantFrom(
          '/ws/',
          '/ws/projects/',
          '/ws/projects//',
          '/ws/notifications/x/',
          '/',
          '/api/v1/me/',
          '/ws/Notifications/',
          '//ws/notifications/',
        )
        .map((path) => ({ kind: 'elsewhere' as const, path })),
    );

  /** What the server must answer, as far as the oracle knows: an HTTP status, a close code, or open. */
  const expected = (
    kind: PathKind,
    path: string,
    token: { valid: boolean; who?: string } | null,
    subprotocols?: string,
  ) => {
    // The route as the server reads it: the URL's path (dot segments resolved), its id percent-decoded.
    const pathname = new URL(path, 'http://localhost').pathname;
    const id = /^\/ws\/projects\/([^/]+)\/?$/.exec(pathname)?.[1];
    if (id === undefined && !/^\/ws\/notifications\/?$/.test(pathname)) return { http: 404 };
    if (id !== undefined) {
      try {
        decodeURIComponent(id);
      } catch {
        return { http: 404 };
      }
    }
    if (kind === 'elsewhere') return { http: 404 };
    if (subprotocols !== undefined && !validSubprotocols(subprotocols)) return { http: 400 };
    if (!token?.valid) return { close: CLOSE.notAuthenticated };
    if (kind === 'notifications' || kind === 'own') return { open: true };
    if (kind === 'foreign') return { close: CLOSE.notMember };
    return { close: CLOSE.noSuchProject };
  };

  /** Fails unless the outcome is one the server may give at all; returns a description for other checks. */
  const describe_ = (o: RawOutcome) =>
    `status ${o.status}, close ${o.closeCode} ${o.closeReason ?? ''}, messages ${JSON.stringify(o.messages).slice(0, 300)}`;

  it(
    'answers any upgrade with a 4xx, a documented close code or an open socket, as the route and token call for',
    async () => {
      const all = tokens();
      // Mostly a valid token, so that the routes' own checks run; often an attack on one.
      const tokenArb = fc.option(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(0, 1) },
          { weight: 2, arbitrary: fc.integer({ min: 2, max: all.length - 1 }) },
        ),
        { nil: undefined, freq: 5 },
      );
      const sinceArb = fc.option(
        fc.oneof(
          fc.constantFrom(
            '0000000000000000-0000000000000000',
            '0000000000000001',
            'ffffffffffffffff-ffffffffffffffff',
          ),
          fc.stringMatching(/^[A-Za-z0-9%._-]{0,40}$/),
        ),
        { nil: undefined },
      );
      const extraArb = fc.array(
        fc.tuple(
          fc.constantFrom('x', 'token', '%74oken', 'since', 'limit'),
          fc.stringMatching(/^[A-Za-z0-9._-]{0,20}$/),
        ),
        { maxLength: 2 },
      );
      const subprotocolArb = fc.option(
        fc.oneof(
          fc
            .array(fc.constantFrom('chat', 'v1.json', 'bearer.', 'a b', '@', '', 'chat'), {
              minLength: 1,
              maxLength: 3,
            })
            .map((p) => p.join(', ')),
          fc.constantFrom(...all.keys()).map((i) => `bearer.${all[i]!.token}`),
          fc.constantFrom(...all.keys()).map((i) => `chat, bearer.${all[i]!.token}`),
        ),
        { nil: undefined },
      );
      const authArb = fc.option(
        fc.oneof(
          fc.constantFrom(...all.keys()).map((i) => `Bearer ${all[i]!.token}`),
          fc.constantFrom('Bearer', 'Basic dXNlcjpwYXNz', 'Bearer a b'),
        ),
        { nil: undefined },
      );
      await fc.assert(
        fc.asyncProperty(
          pathArb(),
          tokenArb,
          sinceArb,
          extraArb,
          subprotocolArb,
          authArb,
          async (target, tokenAt, since, extra, subprotocols, authorization) => {
            const params = [
              ...(tokenAt === undefined ? [] : [`token=${encodeURIComponent(all[tokenAt]!.token)}`]),
              ...(since === undefined ? [] : [`since=${since}`]),
              ...extra.map(([k, v]) => `${k}=${v}`),
            ];
            const requestTarget = `${target.path}${params.length ? `?${params.join('&')}` : ''}`;
            const headers: Record<string, string> = {
              ...(subprotocols === undefined ? {} : { 'Sec-WebSocket-Protocol': subprotocols }),
              ...(authorization === undefined ? {} : { Authorization: authorization }),
            };
            const outcome = await rawUpgrade(port(), requestTarget, { headers, settleMs: 250 });
            outcome.socket.destroy();
            const sent = `GET ${requestTarget.slice(0, 300)} ${JSON.stringify(headers).slice(0, 600)}`;
            // Which token the server reads: ?token=, else Authorization: Bearer, else the bearer subprotocol.
            const query = new URL(requestTarget, 'http://x').searchParams.get('token');
            const fromHeader = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
            const fromProtocol = subprotocols
              ?.split(',')
              .map((p) => p.trim())
              .find((p) => p.startsWith('bearer.'))
              ?.slice(7);
            const used = query || fromHeader || fromProtocol || null;
            const token = used === null ? null : (all.find((t) => t.token === used) ?? { valid: false });
            const want = expected(target.kind, target.path, token, subprotocols);
            if (outcome.status >= 500 || outcome.closeCode === CLOSE.serverError)
              throw new Error(`a server error for ${sent}: ${describe_(outcome)}`);
            if (
              outcome.status === 101 &&
              outcome.closeCode !== undefined &&
              !DOCUMENTED.has(outcome.closeCode)
            )
              throw new Error(`an undocumented close code for ${sent}: ${describe_(outcome)}`);
            tally(`upgrade → ${outcome.status === 101 ? (outcome.closeCode ?? 'open') : outcome.status}`);
            if ('http' in want) {
              if (outcome.status !== want.http)
                throw new Error(`expected ${want.http} for ${sent}: ${describe_(outcome)}`);
              return;
            }
            if (outcome.status !== 101)
              throw new Error(`expected an upgrade for ${sent}: ${describe_(outcome)}`);
            if ('close' in want) {
              if (outcome.closeCode !== want.close)
                throw new Error(`expected close ${want.close} for ${sent}: ${describe_(outcome)}`);
              return;
            }
            if (outcome.closeCode !== undefined)
              throw new Error(`expected an open socket for ${sent}: ${describe_(outcome)}`);
            const validSince =
              target.kind === 'notifications' ? /^[0-9a-f]{16}$/ : /^[0-9a-f]{16}-[0-9a-f]{16}$/;
            // A since that is no position of the route gets resync (the first since is the one read).
            const given = new URL(requestTarget, 'http://x').searchParams.get('since');
            if (given !== null && !validSince.test(given) && outcome.messages[0] !== '{"type":"resync"}')
              throw new Error(`expected resync for ${sent}: ${describe_(outcome)}`);
          },
        ),
        { numRuns: RUNS * 2, endOnFailure: true },
      );
    },
    TIMEOUT,
  );

  /** Frames a client may send: valid and invalid, small and large. */
  const frameArb = fc.oneof(
    fc.string({ maxLength: 200 }).map((t) => frame(1, Buffer.from(t))),
    fc.uint8Array({ maxLength: 300 }).map((b) => frame(2, Buffer.from(b))),
    fc.uint8Array({ maxLength: 60 }).map((b) => frame(1, Buffer.from(b))),
    fc.integer({ min: 4000, max: 9000 }).map((n) => frame(2, Buffer.alloc(n, 1))),
    fc.string({ maxLength: 50 }).map((t) => frame(9, Buffer.from(t).subarray(0, 125))),
    fc.constant(frame(10, Buffer.alloc(0))),
    fc.string({ maxLength: 50 }).map((t) => frame(1, Buffer.from(t), { fin: false })),
    fc.string({ maxLength: 50 }).map((t) => frame(0, Buffer.from(t))),
    fc
      .integer({ min: 3, max: 15 })
      .filter((op) => op < 8 || op > 10)
      .map((op) => frame(op, Buffer.from('x'))),
    fc.integer({ min: 1, max: 7 }).map((rsv) => frame(1, Buffer.from('x'), { rsv })),
    fc.constant(frame(1, Buffer.from('x'), { mask: false })),
    fc.constant(frame(8, Buffer.from([0x03, 0xe8]))),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)),
  );

  it(
    'stays up whatever frames a connected socket sends, closing it only with a documented code',
    async () => {
      const watcher = connectWs(served.wsUrl(`/ws/projects/${home.projects.P}/?token=${home.member.access}`));
      await watcher.opened;
      let issues = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('projects', 'notifications'),
          // Refused sockets get frames too: the server is still closing them when they arrive.
          fc.boolean(),
          fc.array(frameArb, { minLength: 1, maxLength: 6 }),
          async (route, refused, frames) => {
            const path = route === 'projects' ? `/ws/projects/${home.projects.P}/` : '/ws/notifications/';
            const token = refused ? 'not-a-token' : home.owner.access;
            const outcome = await rawUpgrade(port(), `${path}?token=${token}`, {
              after: frames,
              settleMs: 100,
            });
            outcome.socket.destroy();
            const sent = `${path} then ${frames.map((f) => f.subarray(0, 2).toString('hex')).join(' ')}`;
            if (outcome.status !== 101) throw new Error(`no upgrade for ${sent}: ${describe_(outcome)}`);
            if (outcome.closeCode !== undefined && !DOCUMENTED.has(outcome.closeCode))
              throw new Error(`an undocumented close code after ${sent}: ${describe_(outcome)}`);
            if (refused && outcome.closeCode !== CLOSE.notAuthenticated)
              throw new Error(`expected 4001 after ${sent}: ${describe_(outcome)}`);
            tally(`frames → ${outcome.closeCode ?? 'open'}`);
            issues += 1;
            // The server goes on: the socket that watched all along gets the next change.
            await api.http
              .post('/api/v1/issues/')
              .set(home.owner.auth)
              .send({ project: home.projects.P, title: `After ${issues}` })
              .expect(201);
            await watcher.waitFor(issues, 10_000);
          },
        ),
        { numRuns: RUNS, endOnFailure: true },
      );
      await watcher.close();
    },
    TIMEOUT,
  );

  it(
    'ignores any text and binary a live socket sends: it keeps getting its room',
    async () => {
      const sockets: TestSocket[] = [];
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.string({ maxLength: 4000 }),
              fc.uint8Array({ maxLength: 4000 }).map((b) => Buffer.from(b)),
            ),
            { minLength: 1, maxLength: 10 },
          ),
          async (payloads) => {
            const socket = connectWs(
              served.wsUrl(`/ws/projects/${home.projects.P}/?token=${home.owner.access}`),
            );
            sockets.push(socket);
            await socket.opened;
            for (const payload of payloads) socket.ws.send(payload);
            const title = `Seen ${randomUUID()}`;
            await api.http
              .post('/api/v1/issues/')
              .set(home.owner.auth)
              .send({ project: home.projects.P, title })
              .expect(201);
            const [message] = await socket.waitFor(1, 10_000);
            expect(message).toMatchObject({ type: 'issue.created', title });
            await socket.close();
          },
        ),
        { numRuns: Math.ceil(RUNS / 4), endOnFailure: true },
      );
      await Promise.all(sockets.map((s) => s.close()));
    },
    TIMEOUT,
  );
});
