/**
 * The event store contract against a real EventStoreDB: the server named by EVENTSTORE_CONNECTION_STRING, else a
 * throw-away container (testcontainers) when a container runtime answers. Otherwise the suite says, loudly, that it
 * did not run and why.
 *
 * Jest registers tests synchronously and CommonJS has no top-level await, so the choice is made while the file
 * loads: the env var first; then a cheap look for a Docker socket; then, only if one may exist, a child process
 * asks testcontainers for a runtime (it fails within milliseconds when there is none).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EventStoreDBClient } from '@eventstore/db-client';
import { describeUnless } from '../../../test/support/skip';
import { type ContractOptions, type ContractTarget, eventStoreContract } from '../contract';
import type { EventStore } from '../port';
import { createEsdbEventStore, toEsdbConnectionString } from './esdb-event-store';

const IMAGE = 'eventstore/eventstore:24.10';
const HTTP_PORT = 2113;

type Target =
  | { kind: 'server'; connectionString: string }
  | { kind: 'container' }
  | { kind: 'none'; reason: string };

const firstLine = (text: string): string => text.trim().split('\n')[0] ?? '';

/** The connection string without its password, for the log. */
const redacted = (connectionString: string): string =>
  connectionString.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

const dockerSocketCandidates = (): string[] => {
  const home = homedir();
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  return [
    '/var/run/docker.sock',
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    join(home, '.testcontainers.properties'),
    ...(runtimeDir ? [join(runtimeDir, 'docker.sock'), join(runtimeDir, 'podman', 'podman.sock')] : []),
  ];
};

const chooseTarget = (): Target => {
  const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
  if (connectionString) return { kind: 'server', connectionString };
  const notSet = 'EVENTSTORE_CONNECTION_STRING is not set';
  if (!process.env.DOCKER_HOST && !dockerSocketCandidates().some((path) => existsSync(path))) {
    return { kind: 'none', reason: `${notSet} and no Docker socket or DOCKER_HOST was found` };
  }
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(require.resolve('testcontainers'))}).getContainerRuntimeClient()
        .then(() => process.exit(0), (e) => { process.stderr.write(String((e && e.message) || e)); process.exit(1); });`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (probe.status === 0) return { kind: 'container' };
  const why = firstLine(
    probe.stderr || probe.error?.message || `probe exited with ${probe.status ?? probe.signal}`,
  );
  return { kind: 'none', reason: `${notSet} and testcontainers found no container runtime (${why})` };
};

/** The server may accept connections a moment before it serves reads. */
const untilReady = async (store: EventStore, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await store.headPosition();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(250);
    }
  }
};

/**
 * The contract names its streams `c<12 hex>_…`: the store's scope is `c`, so the suite can share a server with
 * anything else, and `x…` streams stand for another application's.
 */
const CONTRACT_SCOPE = ['c'];
const OPTIONS: ContractOptions = {
  foreignStream: (prefix) => `x${prefix}-foreign`,
  deletesStreams: true,
  limitsAppendSize: true,
};
/** The server's `MaxAppendSize` (1 MiB unless the server was started with another). */
const maxAppendBytes = (): number => {
  const configured = Number(process.env.EVENTSTORE_MAX_APPEND_SIZE);
  return Number.isInteger(configured) && configured > 0 ? configured : 1024 * 1024;
};

const targetOn = async (connectionString: string, teardown: () => Promise<void>): Promise<ContractTarget> => {
  const client = EventStoreDBClient.connectionString(toEsdbConnectionString(connectionString));
  const store = createEsdbEventStore(client, { streamPrefixes: CONTRACT_SCOPE, disposeClientOnClose: true });
  try {
    await untilReady(store);
  } catch (error) {
    await store.close().catch(() => undefined);
    await teardown();
    throw error;
  }
  return {
    store,
    async deleteStream(streamId, how) {
      if (how === 'hard') await client.tombstoneStream(streamId);
      else await client.deleteStream(streamId);
    },
    maxAppendBytes: maxAppendBytes(),
    async teardown() {
      await store.close();
      await teardown();
    },
  };
};

const onServer = (connectionString: string) => () => targetOn(connectionString, async () => undefined);

const inContainer = async (): Promise<ContractTarget> => {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(IMAGE)
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_START_STANDARD_PROJECTIONS: 'false',
    })
    .withExposedPorts(HTTP_PORT)
    .withWaitStrategy(
      Wait.forHttp('/health/live', HTTP_PORT).forStatusCodeMatching(
        (status) => status >= 200 && status < 300,
      ),
    )
    .withStartupTimeout(120_000)
    .start();
  return targetOn(
    `esdb://${container.getHost()}:${container.getMappedPort(HTTP_PORT)}?tls=false`,
    async () => {
      await container.stop();
    },
  );
};

const target = chooseTarget();

if (target.kind === 'server') {
  console.info(
    `The EventStoreDB contract suite runs against EVENTSTORE_CONNECTION_STRING (${redacted(target.connectionString)}).`,
  );
  eventStoreContract('EventStoreDB', onServer(target.connectionString), OPTIONS);
} else if (target.kind === 'container') {
  // Pulling and starting the image can take longer than the default test timeout.
  jest.setTimeout(180_000);
  eventStoreContract('EventStoreDB', inContainer, OPTIONS);
} else {
  // Every test of the contract is reported as skipped (never passed), with the reason and the remedy printed.
  describeUnless(
    `${target.reason}; set EVENTSTORE_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false) or make Docker ` +
      'available to run it',
    'EventStoreDB without a server',
    () => eventStoreContract('EventStoreDB', inContainer, OPTIONS),
  );
}
