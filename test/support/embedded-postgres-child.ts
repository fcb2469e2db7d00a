/**
 * Test fixture: starts the embedded PostgreSQL in the folder given as the first argument, prints one JSON line,
 * then waits to be killed. Lets a test kill the launcher with SIGKILL and find the postmaster orphaned.
 */
import pino from 'pino';
import { startEmbeddedPostgres } from '../../src/platform/embedded-postgres';

const main = async () => {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: embedded-postgres-child <dataDir>');
  const db = await startEmbeddedPostgres({ dataDir, logger: pino({ level: 'silent' }) });
  const listeners = Object.fromEntries(
    (['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'] as const).map((name) => [
      name,
      process.listenerCount(name),
    ]),
  );
  process.stdout.write(`${JSON.stringify({ url: db.url, port: db.port, listeners })}\n`);
  setInterval(() => undefined, 60_000);
};

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
