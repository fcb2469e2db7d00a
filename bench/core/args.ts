/** The command line: `[--quick] [row…]`, `--help`. */
export interface Args {
  quick: boolean;
  help: boolean;
  /** The rows asked for, in the order given; empty for all. */
  rows: string[];
}

export const parseArgs = (argv: readonly string[], known: readonly string[]): Args => {
  const args: Args = { quick: false, help: false, rows: [] };
  for (const arg of argv) {
    if (arg === '--quick') args.quick = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (known.includes(arg)) args.rows.push(arg);
    else throw new Error(`unknown argument "${arg}": rows are ${known.join(', ')}; options --quick, --help`);
  }
  return args;
};

export const usage = (rows: ReadonlyArray<{ name: string; what: string }>): string =>
  [
    'usage: npm run bench -- [--quick] [row…]',
    '',
    "Starts the service (ROLE=all) on a fresh database of DATABASE_URL's server (default local PostgreSQL) and",
    'REDIS_URL (default local Redis), measures each row against its baseline in interleaved pairs, prints a',
    'table and writes bench/results/latest.json. With no row, every row runs.',
    '',
    '  --quick   smaller data and shorter runs (under three minutes for every row)',
    '  --help    this text',
    '',
    'rows:',
    ...rows.map((row) => `  ${row.name.padEnd(9)} ${row.what}`),
  ].join('\n');
