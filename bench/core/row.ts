import type { Context } from './context';

/** What a row reports; `latest.json` holds these as they are. */
export interface RowOutcome {
  /** Whether the target holds; null where this run could not judge it (see the notes). */
  holds: boolean | null;
  /** The figures of the table's "measured" column, in a few words. */
  summary: string;
  /** The baseline's figures, in a few words. */
  baselineSummary: string;
  /** Every figure, by name (ratios are system ÷ baseline, medians over the pairs). */
  figures: Record<string, number | string | boolean | null>;
  /** The measurements of each pair, for whoever wants more than the median. */
  pairs?: unknown[];
  /** Anything else worth keeping (the list row's queries and plans). */
  details?: unknown;
  notes: string[];
}

export interface Row {
  /** The name on the command line. */
  name: string;
  /** QUALITY.md's row. */
  what: string;
  target: string;
  /** What the system is compared with. */
  baseline: string;
  run(ctx: Context): Promise<RowOutcome>;
}

export interface RowResult extends RowOutcome {
  name: string;
  what: string;
  target: string;
  baseline: string;
  seconds: number;
  /** Set when the row failed: then nothing else was measured. */
  error?: string;
}
