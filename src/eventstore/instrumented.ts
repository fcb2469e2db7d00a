import { type EventStore, WrongExpectedRevisionError } from './port';

/** Wraps a store so every append's latency and outcome are observed (for metrics), whatever the adapter. */
export const instrumentStore = (
  store: EventStore,
  observeAppend: (outcome: 'ok' | 'conflict' | 'error', seconds: number) => void,
): EventStore => ({
  kind: store.kind,
  async appendToStream(streamId, events, options) {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await store.appendToStream(streamId, events, options);
      observeAppend('ok', seconds());
      return result;
    } catch (error) {
      observeAppend(error instanceof WrongExpectedRevisionError ? 'conflict' : 'error', seconds());
      throw error;
    }
  },
  readStream: (streamId, options) => store.readStream(streamId, options),
  streamRevision: (streamId) => store.streamRevision(streamId),
  readAll: (options) => store.readAll(options),
  headPosition: () => store.headPosition(),
  subscribeToAll: (options) => store.subscribeToAll(options),
  ping: () => store.ping(),
  close: () => store.close(),
});
