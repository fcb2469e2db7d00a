/**
 * The shared contract against the adapter on `FakeEsdbServer`, the strict stand-in for a server: no EventStoreDB
 * runs on these machines, and this keeps the contract's EventStoreDB-only cases (other applications' events,
 * deleted streams, the append size limit) exercised until one does (see esdb-contract.test.ts).
 */
import { eventStoreContract } from '../contract';
import { createEsdbEventStore } from './esdb-event-store';
import { FakeEsdbServer } from '../../../test/support/esdb/fakes';

const MAX_APPEND_BYTES = 64 * 1024;

eventStoreContract(
  'EventStoreDB (strict fake server)',
  async () => {
    const server = new FakeEsdbServer({
      start: 'skip-one',
      sendsCaughtUp: true,
      slowConsumer: 'drop',
      maxAppendSize: MAX_APPEND_BYTES,
    });
    const client = server.client();
    const store = createEsdbEventStore(client, { streamPrefixes: ['c'] });
    return {
      store,
      deleteStream: (streamId, how) =>
        how === 'hard' ? client.tombstoneStream(streamId) : client.deleteStream(streamId),
      maxAppendBytes: MAX_APPEND_BYTES,
      teardown: () => store.close(),
    };
  },
  { foreignStream: (prefix) => `x${prefix}-foreign`, deletesStreams: true, limitsAppendSize: true },
);
