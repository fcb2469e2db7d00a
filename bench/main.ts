/** `npm run bench -- [--quick] [row…]`: see bench/README.md. */
import path from 'node:path';
import { parseArgs, usage } from './core/args';
import type { Context } from './core/context';
import { createProgress } from './core/progress';
import { table, writeReport } from './core/report';
import { runRows } from './core/runner';
import { servicesFromEnv } from './core/services';
import { FULL, QUICK } from './core/sizes';
import { ROWS } from './rows';

const RESULTS = path.join(__dirname, 'results');

/** Ctrl-C still drops the run's databases and stops what it started. */
const cleanUpOnSignal = (ctx: Context) => {
  const stop = () => {
    process.stderr.write('\ninterrupted: cleaning up\n');
    void ctx.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

const main = async (): Promise<number> => {
  const args = parseArgs(
    process.argv.slice(2),
    ROWS.map((row) => row.name),
  );
  if (args.help) {
    process.stdout.write(`${usage(ROWS)}\n`);
    return 0;
  }
  const rows = args.rows.length === 0 ? ROWS : ROWS.filter((row) => args.rows.includes(row.name));
  const report = await runRows({
    rows,
    sizes: args.quick ? QUICK : FULL,
    progress: createProgress(),
    services: servicesFromEnv(),
    logDir: RESULTS,
    onContext: cleanUpOnSignal,
  });
  process.stdout.write(`${table(report)}\n`);
  writeReport(report, path.join(RESULTS, 'latest.json'));
  return report.rows.some((row) => row.error) ? 1 : 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
