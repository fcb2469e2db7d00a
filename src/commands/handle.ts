import { ConcurrencyError, DomainError, ValidationError } from '../domain/shared/errors';
import type { Command, Event } from '../domain/shared/decider';
import { currentSchemaVersion } from '../domain/upcasters';
import {
  type EventStore,
  type Position,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '../eventstore/port';
import { UUID_PATTERN, uuidv7 } from './ids';

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

export interface AggregateLogic<C extends Command, E extends Event, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

export interface HandlerOptions {
  /** Attempts after a concurrency conflict, each from a fresh read. */
  maxRetries?: number;
  /** Base of the jittered exponential backoff between attempts. */
  retryBaseDelayMs?: number;
  clock?: () => Date;
  /** Told of every command's outcome (for metrics). */
  observe?: (type: string, outcome: 'ok' | 'rejected' | 'conflict' | 'error') => void;
}

export interface LoadedAggregate<S> {
  state: S;
  /** -1 when the stream does not exist. */
  revision: number;
  events: RecordedEvent[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs commands against aggregates: load the stream, fold it, decide, append with the revision that was read.
 * On a conflict it retries from a fresh read (bounded, with jitter) unless the caller named a revision.
 */
export class CommandBus {
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly clock: () => Date;
  private readonly observe: NonNullable<HandlerOptions['observe']>;

  constructor(
    readonly store: EventStore,
    options: HandlerOptions = {},
  ) {
    this.maxRetries = options.maxRetries ?? 5;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 5;
    this.clock = options.clock ?? (() => new Date());
    this.observe = options.observe ?? (() => undefined);
  }

  now(): string {
    return this.clock().toISOString();
  }

  /** Reads and folds a stream. */
  async load<E extends Event, S>(
    logic: Pick<AggregateLogic<never, E, S>, 'evolve' | 'initialState'>,
    streamId: string,
  ): Promise<LoadedAggregate<S>> {
    const events = await this.store.readStream(streamId);
    const state = events.reduce(
      (s, e) => logic.evolve(s, { type: e.type, data: e.data } as E),
      logic.initialState(),
    );
    return { state, revision: events.length === 0 ? -1 : events[events.length - 1]!.revision, events };
  }

  /**
   * Handles one command on one stream. `build` makes the command from the freshly loaded state, so inputs the
   * handler gathers from other streams (membership, say) are gathered again on every attempt.
   */
  async handle<C extends Command, E extends Event, S>(
    logic: AggregateLogic<C, E, S>,
    streamId: string,
    context: CommandContext,
    build: (loaded: LoadedAggregate<S>, metadata: C['metadata']) => C | Promise<C>,
  ): Promise<CommandResult<E>> {
    let type = streamId.split('-')[0] ?? 'unknown';
    try {
      const result = await this.attempt(logic, streamId, context, async (loaded, metadata) => {
        const command = await build(loaded, metadata);
        type = command.type;
        return command;
      });
      this.observe(type, 'ok');
      return result;
    } catch (error) {
      this.observe(
        type,
        error instanceof ConcurrencyError ? 'conflict' : error instanceof DomainError ? 'rejected' : 'error',
      );
      throw error;
    }
  }

  private async attempt<C extends Command, E extends Event, S>(
    logic: AggregateLogic<C, E, S>,
    streamId: string,
    context: CommandContext,
    build: (loaded: LoadedAggregate<S>, metadata: C['metadata']) => C | Promise<C>,
  ): Promise<CommandResult<E>> {
    // Read models key users by UUID: an actor that is not one would be an event no projection can apply.
    if (!UUID_PATTERN.test(context.actorId))
      throw ValidationError.field('actor', 'must be a user id (a UUID)');
    const commandId = context.commandId ?? uuidv7();
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(logic, streamId);
      const earlier = loaded.events.filter((e) => e.metadata.commandId === commandId);
      if (earlier.length > 0) return resultOf(streamId, earlier) as CommandResult<E>;

      if (context.expectedRevision !== undefined && context.expectedRevision !== loaded.revision) {
        throw new ConcurrencyError(
          streamId,
          context.expectedRevision,
          loaded.revision < 0 ? null : loaded.revision,
        );
      }
      const now = context.now ?? this.now();
      const command = await build(loaded, { actorId: context.actorId, now });
      const events = logic.decide(command, loaded.state);
      if (events.length === 0) return { streamId, events: [], revision: loaded.revision, position: null };

      const metadata = {
        actorId: context.actorId,
        correlationId: context.correlationId ?? commandId,
        causationId: context.causationId ?? commandId,
        commandId,
        occurredAt: now,
      };
      try {
        const appended = await this.store.appendToStream(
          streamId,
          events.map((e) => ({
            eventId: uuidv7(),
            type: e.type,
            data: e.data,
            metadata: { ...metadata, schemaVersion: currentSchemaVersion(e.type) },
          })),
          { expectedRevision: loaded.revision < 0 ? 'no_stream' : loaded.revision },
        );
        return { streamId, events, revision: appended.nextRevision, position: appended.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (context.expectedRevision !== undefined) {
          throw new ConcurrencyError(streamId, context.expectedRevision, error.actual ?? null);
        }
        if (attempt >= this.maxRetries)
          throw new ConcurrencyError(streamId, loaded.revision, error.actual ?? null);
        await sleep(Math.random() * this.retryBaseDelayMs * 2 ** attempt);
      }
    }
  }
}

const resultOf = (streamId: string, events: RecordedEvent[]): CommandResult => {
  const last = events[events.length - 1]!;
  return {
    streamId,
    events: events.map((e) => ({ type: e.type, data: e.data })),
    revision: last.revision,
    position: last.position,
  };
};
