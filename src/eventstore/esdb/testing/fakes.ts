/** Stand-ins for `@eventstore/db-client` objects, for the adapter's unit tests (no server). */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Position as EsdbPosition, ReadAllOptions, ReadPosition } from '@eventstore/db-client';
import type { EventMetadata } from '../../port';
import type { EsdbClient } from '../esdb-event-store';
import type { EsdbRecordedLike, EsdbResolvedLike } from '../esdb-mapping';
import type { SubscriptionSource } from '../esdb-subscription';

export const META: EventMetadata = {
  actorId: 'user-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  commandId: 'cmd-1',
  schemaVersion: 1,
  occurredAt: '2026-11-24T10:00:00.000Z',
};

let nextId = 0;

/** A resolved event as the client returns it from reads and subscriptions (commit = prepare, as gRPC writes). */
export const resolvedEvent = (
  at: number | bigint,
  overrides: Partial<EsdbRecordedLike> = {},
): EsdbResolvedLike & { event: EsdbRecordedLike } => {
  const position = BigInt(at);
  nextId += 1;
  return {
    event: {
      streamId: 'issue-1',
      id: `00000000-0000-4000-8000-${nextId.toString(16).padStart(12, '0')}`,
      revision: 0n,
      type: 'IssueCreated',
      created: new Date('2026-11-24T10:00:01.000Z'),
      data: { n: Number(position) },
      metadata: { ...META, $correlationId: META.correlationId, $causationId: META.causationId },
      position: { commit: position, prepare: position },
      ...overrides,
    },
    commitPosition: position,
  };
};

/** An async iterable standing in for the client's `StreamingRead`, failing at the end when told to. */
export const streamingRead = <T>(items: readonly T[], failWith?: unknown) =>
  (async function* () {
    for (const item of items) yield item;
    if (failWith !== undefined) throw failWith;
  })();

const cmp = (a: EsdbPosition, b: EsdbPosition): number =>
  a.commit === b.commit
    ? a.prepare === b.prepare
      ? 0
      : a.prepare < b.prepare
        ? -1
        : 1
    : a.commit < b.commit
      ? -1
      : 1;

/**
 * `$all` as the server pages it: forwards from a position includes the event at it, backwards from a position
 * excludes it. Records every call so tests can check the options.
 */
export const fakeAll = (log: readonly EsdbResolvedLike[]) => {
  const calls: ReadAllOptions[] = [];
  const readAll = (options: ReadAllOptions = {}) => {
    calls.push(options);
    const count = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const from: ReadPosition = options.fromPosition ?? 'start';
    const pos = (e: EsdbResolvedLike) => e.event!.position!;
    let page: EsdbResolvedLike[];
    if (options.direction === 'backwards') {
      const before = log.filter((e) => from === 'end' || (from !== 'start' && cmp(pos(e), from) < 0));
      page = [...before].reverse().slice(0, count);
    } else {
      const after = log.filter((e) => from === 'start' || (from !== 'end' && cmp(pos(e), from) >= 0));
      page = after.slice(0, count);
    }
    return streamingRead(page);
  };
  return { readAll, calls };
};

/** A client whose methods are jest mocks; pass implementations for the ones a test uses. */
export const stubClient = (
  methods: Partial<Record<keyof EsdbClient, (...args: never[]) => unknown>> = {},
) => {
  const fail = (name: string) => () => {
    throw new Error(`unexpected call to ${name}`);
  };
  return {
    appendToStream: jest.fn(methods.appendToStream ?? fail('appendToStream')),
    readStream: jest.fn(methods.readStream ?? fail('readStream')),
    readAll: jest.fn(methods.readAll ?? fail('readAll')),
    subscribeToAll: jest.fn(methods.subscribeToAll ?? fail('subscribeToAll')),
    dispose: jest.fn(methods.dispose ?? (async () => undefined)),
  };
};

export const asClient = (stub: ReturnType<typeof stubClient>): EsdbClient => stub as unknown as EsdbClient;

/** Behaves like the client's subscription: an object-mode stream that also emits `caughtUp`/`fellBehind`. */
export class FakeSubscription extends PassThrough implements SubscriptionSource {
  unsubscribeCalls = 0;
  constructor() {
    super({ objectMode: true });
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribeCalls += 1;
  }
  /** Pushes events, then lets the stream deliver them. */
  async send(...events: EsdbResolvedLike[]): Promise<void> {
    for (const e of events) this.write(e);
    await tick();
  }
}

/**
 * A subscription whose read buffer the test controls, to check that `caughtUp` is placed after the events the
 * client had already pushed but not yet emitted.
 */
export class ManualSubscription extends EventEmitter implements SubscriptionSource {
  readableLength = 0;
  unsubscribeCalls = 0;
  paused = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribeCalls += 1;
  }
}

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
