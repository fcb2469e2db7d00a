/**
 * The NDJSON export of `GET /admin/events/` at size: 100 000 events stream with flat memory (the server waits for
 * the socket to drain before it reads on), and a client that goes away stops the reading.
 *
 * The reader is a child process, slower than the server, so this process's memory is the server's: the heap and
 * the buffers outside it (`external`), after a full collection at each sample. The export (about 100 MB) is far
 * larger than the bound; without waiting for `drain` the same run grows by about 65 MB and fails.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { anOrganization } from '../../test/support/fixtures';
import { useFixture, useTestApi } from '../../test/support/suite';

const EVENTS = 100_000;
const MiB = 1024 * 1024;
/** Growth allowed while exporting: a few batches and chunks in flight, and the collector's slack. */
const BOUND = 32 * MiB;

/** A full collection, so samples measure what is held rather than what is not yet collected. */
const collector = (): (() => void) => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
};

const held = (): number => {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

/**
 * The client, in a process of its own (so this process's memory is the server's): reads the export, stopping for
 * a moment after every 256 KiB (about 6 MiB/s, slower than the server can read the log), and reports what came.
 */
const SLOW_READER = `
  const http = require('node:http');
  const [port, path, token] = process.argv.slice(1);
  const headers = { Authorization: 'Bearer ' + token, Accept: 'application/x-ndjson' };
  http.get({ host: '127.0.0.1', port: Number(port), path, headers }, (res) => {
    let bytes = 0, lines = 0, first = null, tail = '';
    res.on('data', (chunk) => {
      if (first === null) first = chunk.toString('utf8').split('\\n')[0];
      tail = (tail + chunk.toString('utf8')).slice(-8192);
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      const before = bytes;
      bytes += chunk.length;
      if (Math.floor(bytes / 262144) > Math.floor(before / 262144)) {
        res.pause();
        setTimeout(() => res.resume(), 40);
      }
    });
    res.on('end', () => {
      const last = tail.trimEnd().split('\\n').pop();
      process.stdout.write(JSON.stringify({ status: res.statusCode, bytes, lines, first, last }));
    });
  });
`;

interface ReadResult {
  status: number;
  bytes: number;
  lines: number;
  first: string;
  last: string;
}

const slowReader = async (port: number, path: string, token: string): Promise<ReadResult> => {
  const child = spawn(process.execPath, ['-e', SLOW_READER, String(port), path, token], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the reader exited with ${code}`);
  return JSON.parse(out) as ReadResult;
};

describe('NDJSON export of the event log at size', () => {
  const api = useTestApi();
  const acme = useFixture(() => anOrganization(api, 'Acme').withProject('Web').build());
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });
  const server = http.createServer();
  let port = 0;

  beforeAll(async () => {
    // Written straight into the index (the projector's table): what is measured is the export, not the appends.
    // Positions before any real event's (an export ends at its own record), about 1 000 bytes of NDJSON each.
    await api.knex.raw(
      `INSERT INTO event_log (position, event_id, stream_id, revision, type, organization_id, actor_id, occurred_at,
         recorded_at, schema_version, correlation_id, causation_id, command_id, data, metadata)
       SELECT '0000000000000000-' || lpad(to_hex(n), 16, '0'), gen_random_uuid(), 'issue-' || issue, n / 1000,
         'IssueTitleChanged', :org, :actor, at, at, 1, 'bulk-' || n, 'bulk-' || n, 'bulk-' || n,
         jsonb_build_object('issueId', issue, 'projectId', :project::text, 'organizationId', :org::text,
           'title', 'Title ' || n || ' ' || repeat('t', 200), 'previousTitle', 'Before ' || repeat('p', 150)),
         jsonb_build_object('actorId', :actor::text, 'correlationId', 'bulk-' || n, 'causationId', 'bulk-' || n,
           'commandId', 'bulk-' || n, 'schemaVersion', 1, 'occurredAt', to_char(at AT TIME ZONE 'UTC',
           'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
       FROM generate_series(1, ${EVENTS}) AS n,
         LATERAL (SELECT md5('issue' || (n % 1000))::uuid::text AS issue,
                         timestamptz '2025-01-01' + n * interval '1 second' AS at) AS t`,
      { org: acme.id, actor: admin.id, project: acme.projects.Web },
    );
    // As autovacuum would after such a load: without statistics each batch is planned as if the table were empty.
    await api.knex.raw('ANALYZE event_log');
    server.on('request', api.system.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }, 60_000);

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const exportRequest = (onResponse: (res: http.IncomingMessage, req: http.ClientRequest) => void) =>
    http.get(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/admin/events/?type=IssueTitleChanged',
        headers: { ...admin.auth, Accept: 'application/x-ndjson' },
      },
      function (this: http.ClientRequest, res) {
        onResponse(res, this);
      },
    );

  it(`streams ${EVENTS.toLocaleString('en')} events to a slow reader with flat memory`, async () => {
    const gc = collector();
    gc();
    const base = held();
    let peak = 0;
    // A full collection costs in proportion to the whole heap (in a long jest run, every suite's before this one):
    // the next sample waits at least four times as long as this one took, so sampling never takes more than a fifth
    // of the time from the export it measures.
    let sampler: NodeJS.Timeout | undefined;
    const sample = () => {
      const started = performance.now();
      gc();
      peak = Math.max(peak, held() - base);
      sampler = setTimeout(sample, Math.max(200, 4 * (performance.now() - started)));
    };
    sampler = setTimeout(sample, 200);
    try {
      const read = await slowReader(port, '/api/v1/admin/events/?type=IssueTitleChanged', admin.access);
      expect(read.status).toBe(200);
      expect(read.lines).toBe(EVENTS);
      expect(JSON.parse(read.first)).toEqual(
        expect.objectContaining({
          position: '0000000000000000-0000000000000001',
          type: 'IssueTitleChanged',
          actor: { id: admin.id, username: admin.username },
        }),
      );
      expect(JSON.parse(read.last).position).toBe(
        `0000000000000000-${EVENTS.toString(16).padStart(16, '0')}`,
      );
      expect(read.bytes).toBeGreaterThan(2 * BOUND);
    } finally {
      clearTimeout(sampler);
    }
    expect(peak).toBeLessThan(BOUND);
  }, 120_000);

  it('stops reading the log when the client goes away part way', async () => {
    let reads = 0;
    const count = (query: { sql: string }) => {
      if (/FROM event_log WHERE/.test(query.sql)) reads += 1;
    };
    api.knex.on('query', count);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = exportRequest((res, request) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > 2 * MiB && !request.destroyed) {
              request.destroy();
              resolve();
            }
          });
          res.on('error', () => undefined);
        });
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      });
      await delay(300);
      const atDisconnect = reads;
      await delay(1000);
      expect(reads).toBe(atDisconnect);
      expect(reads).toBeGreaterThan(0);
      expect(reads).toBeLessThan(EVENTS / 1000 / 2);
    } finally {
      api.knex.off('query', count);
    }
  }, 60_000);
});
