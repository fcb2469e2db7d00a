/**
 * Writers for the reliability suites: HTTP clients that create, update and comment on issues (mentioning users who
 * may or may not be members just then) and add and remove members,
 * each logical request retried until it gets a final answer, as a careful client would:
 *
 * - every request carries `X-Request-Id: <its id>` (the events' correlation id, the same on every attempt) and
 *   `Idempotency-Key: <its id>` (which the API honours on POST; a PATCH is made safe to retry by `If-Match`);
 * - an attempt with no answer (the process died, the connection broke), a `5xx`, or a `409` with `Retry-After`
 *   (the key is still held by a request under way) is unacknowledged and retried; a `412` makes the writer read
 *   the issue again, and the request counts as applied if the issue already has the unique title it set;
 * - every attempt, answer and conclusion goes into the ledger the checks read.
 *
 * Writers own their issues (one writer per issue) and one writer owns membership, so what each request should
 * leave in the log is known exactly.
 */
import { randomUUID } from 'node:crypto';
import { type Answer, type Outcome, PASSWORD, type Person, request } from './http';
import { attemptsLine } from './report';

export type CommandKind = 'create-issue' | 'update-issue' | 'comment' | 'add-member' | 'remove-member';

/** One logical request and what happened to it. */
export interface CommandRecord {
  /** `X-Request-Id` and `Idempotency-Key`: the events' correlation id. */
  id: string;
  kind: CommandKind;
  actor: Person;
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body: Record<string, unknown> | undefined;
  /** Each attempt's answer: a status, or the network failure (`ECONNREFUSED`, `TimeoutError`, …). */
  attempts: string[];
  /** Attempts without a final answer (no answer, 5xx, 409 busy), each followed by a retry. */
  unacknowledged: number;
  /** Some attempt got a 2xx. */
  acknowledged: boolean;
  /** The last attempt's status. */
  final: number | null;
  /** The writer's conclusion: its change is in the log (true) or was refused (false). */
  applied: boolean | null;
  /** For an issue update: the title it sets, by which a retry recognises that it was applied. */
  title?: string;
}

/** The organization the writers work in. */
export interface World {
  organizationId: string;
  projects: readonly string[];
  owner: Person;
  /** Managers: permanent members, the issue writers' actors. */
  staff: readonly Person[];
  /** Users the membership writer adds and removes. */
  rotating: readonly Person[];
  /** Who is a member now, as the membership writer knows it (its conclusions). */
  members: Set<string>;
}

/** One attempt of a command or one read, when it was sent and what came back, for judging a phase. */
export interface Attempt {
  at: number;
  /** How long it took (the time out of 20 s included). */
  ms: number;
  kind: 'command' | 'query' | 'login';
  what: string;
  /** The status, or the network failure. */
  answer: string;
  retryAfter: boolean;
}

export interface WorkloadFigures {
  commands: number;
  /** Commands with at least one attempt that got no final answer (and so were retried). */
  retried: number;
  attempts: number;
  unacknowledged: number;
  acknowledged: number;
  refused: number;
  serverErrors: number;
}

/** Anything a check should fail on: a 500, an answer that makes no sense, a request that never settled. */
export type Complaint = string;

const STATUSES = ['open', 'in_progress', 'blocked', 'done'] as const;
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statuses after which an attempt is retried as it was: the client never got a final answer. */
const unanswered = (outcome: Outcome): boolean =>
  !outcome.ok ||
  outcome.answer.status >= 500 ||
  (outcome.answer.status === 409 && outcome.answer.headers.get('retry-after') !== null);

export interface WorkloadOptions {
  /** The API processes' base URLs; each attempt goes to one of them at random. */
  apis: readonly string[];
  world: World;
  /** Issue writers (one more writer changes membership). */
  writers: number;
  /** Give up on a request after this long without a final answer (a complaint). */
  requestDeadlineMs?: number;
  /** Readers: each lists and reads issues, members and notifications, and now and then logs in again. */
  readers?: number;
}

interface OwnIssue {
  id: string;
  etag: string | null;
  /** A position at which the issue is known to exist (for the read after a 202). */
  position: string | null;
}

/**
 * The writers: `resume()` sets them going, `pause()` waits until each has a final answer to its request under way
 * and stops them. The ledger holds every logical request.
 */
export class Workload {
  readonly ledger: CommandRecord[] = [];
  readonly complaints: Complaint[] = [];
  /** Every attempt and read, in the order sent. */
  readonly attempts: Attempt[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  resume(): void {
    if (this.running) return;
    this.running = true;
    const { world, writers } = this.options;
    this.loops = [
      ...Array.from({ length: writers }, (_, n) => this.issueWriter(world.staff[n % world.staff.length]!)),
      this.membershipWriter(),
      ...Array.from({ length: this.options.readers ?? 0 }, (_, n) => this.reader(n)),
    ];
  }

  async pause(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  figures(): WorkloadFigures {
    return {
      commands: this.ledger.length,
      retried: this.ledger.filter((c) => c.unacknowledged > 0).length,
      attempts: this.ledger.reduce((n, c) => n + c.attempts.length, 0),
      unacknowledged: this.ledger.reduce((n, c) => n + c.unacknowledged, 0),
      acknowledged: this.ledger.filter((c) => c.acknowledged).length,
      refused: this.ledger.filter((c) => c.applied === false).length,
      serverErrors: this.ledger.reduce(
        (n, c) => n + c.attempts.filter((a) => /^5\d\d$/.test(a) && a !== '503').length,
        0,
      ),
    };
  }

  private get api(): string {
    return pick(this.options.apis);
  }

  /** Sends the request until it gets a final answer (anything but the `unanswered` ones). */
  private async send(
    record: CommandRecord,
    headers: () => Record<string, string> = () => ({}),
  ): Promise<Answer> {
    const deadline = Date.now() + (this.options.requestDeadlineMs ?? 120_000);
    for (;;) {
      const outcome = await this.timed('command', `${record.method} ${record.path}`, () =>
        request(this.api, record.path, {
          method: record.method,
          token: record.actor.token,
          body: record.body,
          headers: { 'x-request-id': record.id, 'idempotency-key': record.id, ...headers() },
          timeoutMs: 20_000,
        }),
      );
      record.attempts.push(outcome.ok ? String(outcome.answer.status) : outcome.error);
      if (outcome.ok && outcome.answer.status >= 500 && outcome.answer.status !== 503)
        this.complaints.push(
          `${record.method} ${record.path} (${record.id}) answered ${outcome.answer.status}: ${outcome.answer.text.slice(0, 300)}`,
        );
      if (!outcome.ok && outcome.error === 'TimeoutError')
        this.complaints.push(`${record.method} ${record.path} (${record.id}) got no answer in 20 s`);
      if (outcome.ok && outcome.answer.status === 503 && outcome.answer.headers.get('retry-after') === null)
        this.complaints.push(`${record.method} ${record.path} answered 503 without Retry-After`);
      if (!unanswered(outcome)) {
        const answer = (outcome as { ok: true; answer: Answer }).answer;
        record.final = answer.status;
        if (answer.status >= 200 && answer.status < 300) record.acknowledged = true;
        return answer;
      }
      record.unacknowledged += 1;
      if (Date.now() > deadline) {
        this.complaints.push(
          `${record.method} ${record.path} (${record.id}) got no final answer in time: ${attemptsLine(record.attempts)}`,
        );
        throw new Error('request deadline passed');
      }
      await pause(outcome.ok ? 250 : 150);
    }
  }

  /** Sends and logs one attempt. */
  private async timed(kind: Attempt['kind'], what: string, send: () => Promise<Outcome>): Promise<Outcome> {
    const at = Date.now();
    const outcome = await send();
    this.attempts.push({
      at,
      ms: Date.now() - at,
      kind,
      what,
      answer: outcome.ok ? String(outcome.answer.status) : outcome.error,
      retryAfter: outcome.ok && outcome.answer.headers.get('retry-after') !== null,
    });
    return outcome;
  }

  /** Reads what a client reads, one request at a time; answers are judged by the suites (the attempt log). */
  private async reader(n: number): Promise<void> {
    const { world } = this.options;
    const person = world.staff[n % world.staff.length]!;
    const reads = [
      () => `/api/v1/issues/?project=${pick(world.projects)}&limit=20`,
      () => `/api/v1/issues/?search=title&ordering=-priority&limit=10`,
      () => `/api/v1/organizations/${world.organizationId}/`,
      () => `/api/v1/organizations/${world.organizationId}/members/`,
      () => `/api/v1/projects/${pick(world.projects)}/`,
      () => '/api/v1/notifications/?limit=10',
      () => '/api/v1/me/',
    ];
    while (this.running) {
      if (Math.random() < 0.1) {
        await this.timed('login', 'POST /api/v1/auth/login/', () =>
          request(this.api, '/api/v1/auth/login/', {
            method: 'POST',
            body: { username: person.username, password: PASSWORD },
            timeoutMs: 20_000,
          }),
        );
      } else {
        const path = pick(reads)();
        await this.timed('query', `GET ${path}`, () =>
          request(this.api, path, { token: person.token, timeoutMs: 20_000 }),
        );
      }
      await pause(20);
    }
  }

  private record(
    kind: CommandKind,
    actor: Person,
    method: CommandRecord['method'],
    path: string,
    body?: Record<string, unknown>,
  ): CommandRecord {
    const record: CommandRecord = {
      id: randomUUID(),
      kind,
      actor,
      method,
      path,
      body,
      attempts: [],
      unacknowledged: 0,
      acknowledged: false,
      final: null,
      applied: null,
    };
    this.ledger.push(record);
    return record;
  }

  /** Whom to assign: nobody, staff, or someone who may or may not be a member just now. */
  private assignee(): string | null {
    const { world } = this.options;
    const roll = Math.random();
    if (roll < 0.25) return null;
    if (roll < 0.55) return pick(world.staff).id;
    return pick(world.rotating).id;
  }

  private async issueWriter(actor: Person): Promise<void> {
    const issues: OwnIssue[] = [];
    while (this.running) {
      try {
        const roll = Math.random();
        if (issues.length === 0 || roll < 0.35) {
          const created = await this.createIssue(actor);
          if (created) issues.push(created);
        } else if (roll < 0.5) {
          await this.comment(actor, pick(issues));
        } else {
          await this.updateIssue(actor, pick(issues));
        }
      } catch (error) {
        if ((error as Error).message !== 'request deadline passed') throw error;
      }
    }
  }

  private async createIssue(actor: Person): Promise<OwnIssue | null> {
    const { world } = this.options;
    const assignee = this.assignee();
    const record = this.record('create-issue', actor, 'POST', '/api/v1/issues/', {
      project: pick(world.projects),
      title: `Issue ${randomUUID().slice(0, 8)}`,
      priority: pick(['low', 'medium', 'high']),
      ...(assignee ? { assigned_to_id: assignee } : {}),
    });
    const answer = await this.send(record);
    record.applied = answer.status === 201 || answer.status === 202;
    if (!record.applied) {
      // Refused: only an assignee who is not a member (just removed) is a reason.
      if (answer.status !== 400 && answer.status !== 409 && answer.status !== 403)
        this.complaints.push(
          `create-issue ${record.id} refused with ${answer.status}: ${answer.text.slice(0, 200)}`,
        );
      return null;
    }
    const location = answer.headers.get('location') ?? '';
    const id = /\/issues\/([0-9a-f-]{36})\//.exec(location)?.[1];
    if (!id) {
      this.complaints.push(`create-issue ${record.id} answered ${answer.status} without a Location`);
      return null;
    }
    return { id, etag: answer.headers.get('etag'), position: answer.headers.get('x-position') };
  }

  /** A comment mentioning someone of the rotating users (a member or not, just then). */
  private async comment(actor: Person, issue: OwnIssue): Promise<void> {
    const mentioned = pick(this.options.world.rotating);
    const record = this.record('comment', actor, 'POST', `/api/v1/issues/${issue.id}/comments/`, {
      body: `Comment ${randomUUID().slice(0, 8)} for @${mentioned.username}`,
    });
    const answer = await this.send(record);
    record.applied = answer.status === 201 || answer.status === 202;
    if (!record.applied)
      this.complaints.push(
        `comment ${record.id} refused with ${answer.status}: ${answer.text.slice(0, 200)}`,
      );
    issue.position = answer.headers.get('x-position') ?? issue.position;
    // The comment moved the issue's revision (the answer's ETag is the issue stream's, as after any command on it).
    if (answer.status === 201) issue.etag = answer.headers.get('etag');
    else if (answer.status === 202) issue.etag = null;
  }

  /** The issue as the read models have it (waiting for `position`): its ETag and title. */
  private async read(actor: Person, issue: OwnIssue): Promise<{ etag: string; title: string }> {
    for (const deadline = Date.now() + 120_000; ; ) {
      const query = issue.position ? `?min_position=${issue.position}` : '';
      const outcome = await request(this.api, `/api/v1/issues/${issue.id}/${query}`, {
        token: actor.token,
        timeoutMs: 20_000,
      });
      if (outcome.ok && outcome.answer.status === 200)
        return {
          etag: outcome.answer.headers.get('etag') ?? '',
          title: (outcome.answer.body as { title: string }).title,
        };
      if (outcome.ok && outcome.answer.status >= 500 && outcome.answer.status !== 503)
        this.complaints.push(
          `GET issue ${issue.id} answered ${outcome.answer.status}: ${outcome.answer.text}`,
        );
      if (Date.now() > deadline) {
        this.complaints.push(`GET issue ${issue.id} never answered 200`);
        throw new Error('request deadline passed');
      }
      await pause(200);
    }
  }

  private async updateIssue(actor: Person, issue: OwnIssue): Promise<void> {
    if (issue.etag === null) issue.etag = (await this.read(actor, issue)).etag;
    const title = `Title ${randomUUID().slice(0, 8)}`;
    const body: Record<string, unknown> = { title };
    if (Math.random() < 0.5) body.status = pick(STATUSES);
    if (Math.random() < 0.5) body.assigned_to_id = this.assignee();
    const record = this.record('update-issue', actor, 'PATCH', `/api/v1/issues/${issue.id}/`, body);
    record.title = title;
    for (;;) {
      const answer = await this.send(record, () => ({ 'if-match': issue.etag ?? '*' }));
      issue.position = answer.headers.get('x-position') ?? issue.position;
      if (answer.status === 200 || answer.status === 202) {
        record.applied = true;
        issue.etag = answer.headers.get('etag');
        return;
      }
      // Refused: by an earlier attempt of its own that did apply (the revision moved), or for a reason of its
      // own (someone else moved the revision, the assignee left). The title says which.
      const now = await this.read(actor, issue);
      issue.etag = now.etag;
      if (now.title === title) {
        record.applied = true;
        return;
      }
      if (answer.status !== 412) {
        if (answer.status !== 400 && answer.status !== 409)
          this.complaints.push(
            `update-issue ${record.id} refused with ${answer.status}: ${answer.text.slice(0, 200)}`,
          );
        record.applied = false;
        return;
      }
    }
  }

  private async membershipWriter(): Promise<void> {
    const { world } = this.options;
    while (this.running) {
      try {
        const user = pick(world.rotating);
        if (world.members.has(user.id)) await this.removeMember(user);
        else await this.addMember(user);
        await pause(50);
      } catch (error) {
        if ((error as Error).message !== 'request deadline passed') throw error;
      }
    }
  }

  private async addMember(user: Person): Promise<void> {
    const { world } = this.options;
    const record = this.record(
      'add-member',
      world.owner,
      'POST',
      `/api/v1/organizations/${world.organizationId}/members/`,
      {
        user_id: user.id,
        role: 'member',
      },
    );
    const answer = await this.send(record);
    record.applied = answer.status === 201 || answer.status === 202;
    if (record.applied) world.members.add(user.id);
    else
      this.complaints.push(
        `add-member ${record.id} refused with ${answer.status}: ${answer.text.slice(0, 200)}`,
      );
  }

  private async removeMember(user: Person): Promise<void> {
    const { world } = this.options;
    const record = this.record(
      'remove-member',
      world.owner,
      'DELETE',
      `/api/v1/organizations/${world.organizationId}/members/${user.id}/`,
    );
    const answer = await this.send(record);
    if (answer.status === 204 || answer.status === 202) record.applied = true;
    // Not a member any more: only this writer removes members, so an earlier attempt of its own did.
    else if (answer.status === 404 && record.unacknowledged > 0) record.applied = true;
    else {
      record.applied = false;
      this.complaints.push(
        `remove-member ${record.id} refused with ${answer.status}: ${answer.text.slice(0, 200)}`,
      );
    }
    if (record.applied) world.members.delete(user.id);
  }
}
