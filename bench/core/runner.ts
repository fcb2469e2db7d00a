/** Runs rows one after another on one context and collects what each reported (or how it failed). */
import { type Context, createContext } from './context';
import { describeMachine } from './machine';
import type { Progress } from './progress';
import type { Report } from './report';
import type { Row, RowResult } from './row';
import type { Services } from './services';
import type { Sizes } from './sizes';

export interface RunOptions {
  rows: readonly Row[];
  sizes: Sizes;
  progress: Progress;
  services: Services;
  /** Where the app's log goes. */
  logDir: string;
  /** Given the context once it exists, so a signal handler can clean it up. */
  onContext?: (ctx: Context) => void;
}

const runRow = async (ctx: Context, row: Row): Promise<RowResult> => {
  ctx.progress.row(row.name);
  const startedAt = Date.now();
  const about = { name: row.name, what: row.what, target: row.target, baseline: row.baseline };
  try {
    const outcome = await row.run(ctx);
    return { ...about, ...outcome, seconds: (Date.now() - startedAt) / 1000 };
  } catch (error) {
    const message = (error as Error).message;
    return {
      ...about,
      holds: null,
      summary: '',
      baselineSummary: '',
      figures: {},
      notes: [],
      seconds: (Date.now() - startedAt) / 1000,
      error: message.split('\n')[0] ?? message,
    };
  }
};

const verdictLine = (result: RowResult): string =>
  result.error
    ? `${result.name} failed: ${result.error}`
    : `${result.name}: ${result.summary} — target ${result.holds === null ? 'not judged' : result.holds ? 'holds' : 'does not hold'} (${Math.round(result.seconds)} s)`;

export const runRows = async (options: RunOptions): Promise<Report> => {
  const startedAt = new Date().toISOString();
  const machine = await describeMachine(options.services.serverUrl, options.services.redisUrl);
  const ctx = await createContext(options);
  options.onContext?.(ctx);
  const rows: RowResult[] = [];
  try {
    for (const row of options.rows) {
      const result = await runRow(ctx, row);
      rows.push(result);
      options.progress.note(verdictLine(result));
    }
  } finally {
    options.progress.step('cleaning up');
    await ctx.close();
    options.progress.done();
  }
  return { startedAt, mode: options.sizes.mode, sizes: options.sizes, machine, rows };
};
