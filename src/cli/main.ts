/**
 * The admin command line's entry: `npm run cli -- <command> [options]` (scripts/cli.ts), or, in the production
 * image, `node dist/cli/main.js <command> [options]`. Ctrl-C (or SIGTERM) asks the running command to stop
 * cleanly; a second one ends the process at once.
 */
import { loadDotEnv } from '../platform/config';
import { runCli } from './run';

const stop = new AbortController();
const onSignal = () => {
  if (stop.signal.aborted) process.exit(130);
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `npm run cli -- export | head`: the reader left, which is no failure of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  loadDotEnv();
} catch (error) {
  process.stderr.write(`cannot read .env: ${(error as Error).message}\n`);
  process.exit(1);
}

runCli(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  stdin: process.stdin,
  stop: stop.signal,
})
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
