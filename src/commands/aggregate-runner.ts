import { setTimeout as sleep } from 'node:timers/promises';
import type { Command, CommandMetadata, Decider, Event } from '../domain/shared/decider';
import { fold } from '../domain/shared/decider';
import { ConcurrencyError, DomainError, ValidationError } from '../domain/shared/errors';
import { currentSchemaVersion } from '../domain/upcasters';
import {
  type EventMetadata,
  type EventStore,
  type Position,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '../eventstore/port';
import { UUID_PATTERN } from '../shared/uuid';
import { uuidv7 } from './ids';

/** Where a command comes from: the request or job run it belongs to, and what caused it. */
export interface CommandContext {
  actorId: string;
  /** Unique per intent: a retried command with the same id returns the first result without appending. */
  commandId?: string;
  /** The HTTP request id or job run id. */
  correlationId?: string;
  /** The event or command that caused this one; defaults to the command id. */
  causationId?: string;
  /** The revision the caller read (If-Match): a mismatch raises ConcurrencyError instead of retrying. */
  expectedRevision?: number;
  /** ISO time of the decision; defaults to the clock. */
  now?: string;
}

export interface CommandResult<E extends Event = Event> {
  streamId: string;
  /** The events this command recorded (empty when it changed nothing). */
  events: E[];
  /** The stream's revision after the command (-1 for a stream that does not exist). */
  revision: number;
  /** The position to wait for before reading your writes; null when nothing was appended. */
  position: Position | null;
}

/** A command as a handler is asked for it: without the metadata the runner adds and the context it gathers. */
export type Requested<C extends Command> = C extends Command ? Omit<C, 'metadata' | 'context'> : never;

/** A creating command's data as its handler is asked for it: the new aggregate's id may be given, else it is made. */
export type Creating<D, Id extends keyof D> = Omit<D, Id> & Partial<Pick<D, Id>>;

export interface RunnerOptions {
  /** Attempts after a concurrency conflict, each from a fresh read. */
  maxRetries?: number;
  /** Base of the jittered exponential backoff between attempts. */
  retryBaseDelayMs?: number;
  clock?: () => Date;
  /** Told of every command's outcome (for metrics). */
  observe?: (type: string, outcome: 'ok' | 'rejected' | 'conflict' | 'error') => void;
  /** How many folded context streams (organizations) `current` keeps (default 10 000). */
  contextCacheSize?: number;
}

/** A stream's state folded up to a revision. */
interface Folded<S> {
  state: S;
  revision: number;
}

export interface LoadedAggregate<S> {
  state: S;
  /** -1 when the stream does not exist. */
  revision: number;
  events: RecordedEvent[];
}

/**
 * Makes the command from the state just read, so that what a handler gathers from other streams (membership,
 * say) is gathered again on every attempt.
 */
export type BuildCommand<C extends Command, S> = (
  loaded: LoadedAggregate<S>,
  metadata: CommandMetadata,
  reads: ContextReads,
) => C | Promise<C>;

/**
 * What one attempt of a command learned from streams it does not append to (`AggregateRunner.current`). A state
 * the runner already holds is taken without a read, and its revision goes with the append as a condition
 * (`unchanged`): the append writes only if that stream has not moved, else the command is decided again on a
 * fresh read. A decision that appends nothing (a refusal, a no-op) is only given on states read afresh.
 */
export interface ContextReads {
  /** Read every context stream to its end, as on the first attempt after one of them moved. */
  readonly fresh: boolean;
  /** The streams taken unread, at the revisions the decision saw. */
  readonly unchanged: Map<string, number>;
}

/**
 * The log holds only what deciders decided, raised to the current shapes by the store's upcasters as it is read:
 * a stream's events are its aggregate's events. The one place the command side trusts the log's types.
 */
const asDomainEvent = <E extends Event>(recorded: RecordedEvent): E =>
  ({ type: recorded.type, data: recorded.data }) as E;

const outcomeOf = (error: unknown) =>
  error instanceof ConcurrencyError ? 'conflict' : error instanceof DomainError ? 'rejected' : 'error';

/**
 * Runs commands against aggregates: load the stream, fold it, decide, append with the revision that was read.
 * On a conflict it retries from a fresh read (bounded, with jitter) unless the caller named a revision.
 */
export class AggregateRunner {
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly clock: () => Date;
  private readonly observe: NonNullable<RunnerOptions['observe']>;
  private readonly contextCacheSize: number;
  private readonly contexts = new Map<string, Folded<unknown>>();
  /** The last command queued on each stream this process is running commands on. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    readonly store: EventStore,
    options: RunnerOptions = {},
  ) {
    this.maxRetries = options.maxRetries ?? 5;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 5;
    this.clock = options.clock ?? (() => new Date());
    this.observe = options.observe ?? (() => undefined);
    this.contextCacheSize = options.contextCacheSize ?? 10_000;
  }

  now(): string {
    return this.clock().toISOString();
  }

  /**
   * The current state of a stream a command reads for context (the organization, for roles), not one it appends
   * to. Exact like `load` (it reads to the stream's end), but from a cache of folded states by revision: only the
   * events appended since the last read are read and folded, so the cost does not grow with the stream's history.
   * Inside a command (given the attempt's `reads`), a cached state is not even read: the append checks it.
   */
  async current<E extends Event, S>(
    decider: Pick<Decider<never, E, S>, 'evolve' | 'initialState'>,
    streamId: string,
    reads?: ContextReads,
  ): Promise<{ state: S; revision: number }> {
    const cached = this.contexts.get(streamId) as Folded<S> | undefined;
    if (cached && reads && !reads.fresh) {
      // The append checks that the stream is still at this revision.
      reads.unchanged.set(streamId, cached.revision);
      this.remember(streamId, cached);
      return cached;
    }
    const events = await this.store.readStream(streamId, cached ? { fromRevision: cached.revision + 1 } : {});
    if (cached && events[0] !== undefined && events[0].revision !== cached.revision + 1) {
      this.contexts.delete(streamId); // not a continuation of what was cached: read it whole
      return this.current(decider, streamId);
    }
    const last = events[events.length - 1];
    const folded: Folded<S> = last
      ? {
          state: events.map(asDomainEvent<E>).reduce(decider.evolve, cached?.state ?? decider.initialState()),
          revision: last.revision,
        }
      : (cached ?? { state: decider.initialState(), revision: -1 });
    this.remember(streamId, folded);
    return folded;
  }

  /** Most recently used last; the least recently used go past `contextCacheSize`. */
  private remember(streamId: string, folded: Folded<unknown>): void {
    const known = this.contexts.get(streamId);
    if (known && known.revision > folded.revision) return; // a concurrent read got further
    this.contexts.delete(streamId);
    if (folded.revision < 0) return;
    this.contexts.set(streamId, folded);
    for (const oldest of this.contexts.keys()) {
      if (this.contexts.size <= this.contextCacheSize) break;
      this.contexts.delete(oldest);
    }
  }

  /** Reads and folds a stream. */
  async load<E extends Event, S>(
    decider: Pick<Decider<never, E, S>, 'evolve' | 'initialState'>,
    streamId: string,
  ): Promise<LoadedAggregate<S>> {
    const events = await this.store.readStream(streamId);
    const state = fold(decider, events.map(asDomainEvent<E>));
    return { state, revision: events.length === 0 ? -1 : events[events.length - 1]!.revision, events };
  }

  /**
   * Runs one command on one stream, and tells `observe` how it went. `expectNew`: the stream is almost certainly
   * new (its id was just made), so the first attempt decides on the empty stream without reading it; the append
   * (`no_stream`) checks that, and a stream that exists after all (a retried command) is read as usual.
   */
  async run<C extends Command, E extends Event, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    context: CommandContext,
    build: BuildCommand<C, S>,
    options: { expectNew?: boolean } = {},
  ): Promise<CommandResult<E>> {
    let type = streamId.split('-')[0] ?? 'unknown';
    try {
      const result = await this.oneAtATime(streamId, () =>
        this.attempt(
          decider,
          streamId,
          context,
          async (loaded, metadata, reads) => {
            const command = await build(loaded, metadata, reads);
            type = command.type;
            return command;
          },
          options.expectNew === true,
        ),
      );
      this.observe(type, 'ok');
      return result;
    } catch (error) {
      this.observe(type, outcomeOf(error));
      throw error;
    }
  }

  /**
   * Commands on one stream run one after another in this process: concurrent writers of one aggregate (100 PATCHes
   * of one issue) would otherwise conflict with each other and exhaust their retries. Conflicts with other
   * processes are still retried.
   */
  private async oneAtATime<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(streamId) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = before.then(() => mine);
    this.queues.set(streamId, tail);
    try {
      await before;
      return await work();
    } finally {
      release();
      if (this.queues.get(streamId) === tail) this.queues.delete(streamId);
    }
  }

  private async attempt<C extends Command, E extends Event, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    context: CommandContext,
    build: BuildCommand<C, S>,
    expectNew: boolean,
  ): Promise<CommandResult<E>> {
    // Read models key users by UUID: an actor that is not one would be an event no projection can apply.
    if (!UUID_PATTERN.test(context.actorId))
      throw ValidationError.field('actor', 'must be a user id (a UUID)');
    const commandId = context.commandId ?? uuidv7();
    let assumeEmpty = expectNew && context.expectedRevision === undefined;
    let fresh = false;
    for (let attempt = 0; ; attempt++) {
      const loaded: LoadedAggregate<S> = assumeEmpty
        ? { state: decider.initialState(), revision: -1, events: [] }
        : await this.load(decider, streamId);
      const earlier = loaded.events.filter((e) => e.metadata.commandId === commandId);
      if (earlier.length > 0) return resultOf(streamId, earlier.map(asDomainEvent<E>), earlier);

      if (context.expectedRevision !== undefined && context.expectedRevision !== loaded.revision) {
        throw new ConcurrencyError(
          streamId,
          context.expectedRevision,
          loaded.revision < 0 ? null : loaded.revision,
        );
      }
      const now = context.now ?? this.now();
      const reads: ContextReads = { fresh, unchanged: new Map() };
      let events: E[];
      try {
        const command = await build(loaded, { actorId: context.actorId, now }, reads);
        events = decider.decide(command, loaded.state);
      } catch (error) {
        // A refusal is only final for the streams as they are: a retried command returns what it recorded, even
        // when it would be refused today (the actor left since, say), and a role taken unread may have changed.
        if (!(error instanceof DomainError && (assumeEmpty || reads.unchanged.size > 0))) throw error;
        assumeEmpty = false;
        fresh ||= reads.unchanged.size > 0;
        attempt--;
        continue;
      }
      if (events.length === 0) {
        if (reads.unchanged.size === 0)
          return { streamId, events: [], revision: loaded.revision, position: null };
        fresh = true;
        attempt--;
        continue;
      }

      try {
        return await this.append(streamId, events, loaded.revision, reads, {
          actorId: context.actorId,
          correlationId: context.correlationId ?? commandId,
          causationId: context.causationId ?? commandId,
          commandId,
          occurredAt: now,
        });
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (error.streamId !== streamId) {
          // A stream the decision took unread has moved: decide again on it read afresh (no race, no backoff).
          fresh = true;
          attempt--;
          continue;
        }
        if (assumeEmpty) {
          // The stream existed after all: decide again on what it holds (no backoff, this was no race).
          assumeEmpty = false;
          attempt--;
          continue;
        }
        if (context.expectedRevision !== undefined) {
          throw new ConcurrencyError(streamId, context.expectedRevision, error.actual ?? null);
        }
        if (attempt >= this.maxRetries)
          throw new ConcurrencyError(streamId, loaded.revision, error.actual ?? null);
        await sleep(Math.random() * this.retryBaseDelayMs * 2 ** attempt);
      }
    }
  }

  /** Appends the decided events after the revision they were decided on, each with its current schema version. */
  private async append<E extends Event>(
    streamId: string,
    events: E[],
    revision: number,
    reads: ContextReads,
    metadata: Omit<EventMetadata, 'schemaVersion'>,
  ): Promise<CommandResult<E>> {
    const appended = await this.store.appendToStream(
      streamId,
      events.map((e) => ({
        eventId: uuidv7(),
        type: e.type,
        data: e.data,
        metadata: { ...metadata, schemaVersion: currentSchemaVersion(e.type) },
      })),
      {
        expectedRevision: revision < 0 ? 'no_stream' : revision,
        unchanged: [...reads.unchanged].map(([id, at]) => ({ streamId: id, revision: at })),
      },
    );
    return { streamId, events, revision: appended.nextRevision, position: appended.position };
  }
}

/** The result a command already recorded, for its retry. */
const resultOf = <E extends Event>(
  streamId: string,
  events: E[],
  recorded: readonly RecordedEvent[],
): CommandResult<E> => {
  const last = recorded[recorded.length - 1]!;
  return { streamId, events, revision: last.revision, position: last.position };
};
