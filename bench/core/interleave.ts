import { median } from './stats';

/** One baseline measurement and the system measurement that followed it. */
export interface Pair<T> {
  baseline: T;
  system: T;
}

export interface InterleaveOptions<T> {
  /** Measured pairs after the warm-up (QUALITY.md: at least three). */
  pairs: number;
  baseline: () => Promise<T>;
  system: () => Promise<T>;
  /** Runs before the measured pairs, its results thrown away; defaults to one unmeasured pair. */
  warmup?: () => Promise<unknown>;
  /** Told before each step, for the progress line. */
  onStep?: (step: string) => void;
}

/** Baseline, system, baseline, system…: both sides see the same drift of a noisy machine. */
export const interleave = async <T>(options: InterleaveOptions<T>): Promise<Pair<T>[]> => {
  options.onStep?.('warm-up');
  if (options.warmup) await options.warmup();
  else {
    await options.baseline();
    await options.system();
  }
  const pairs: Pair<T>[] = [];
  for (let i = 1; i <= options.pairs; i++) {
    options.onStep?.(`pair ${i}/${options.pairs} baseline`);
    const baseline = await options.baseline();
    options.onStep?.(`pair ${i}/${options.pairs} system`);
    const system = await options.system();
    pairs.push({ baseline, system });
  }
  return pairs;
};

/** system ÷ baseline of each pair. */
export const ratios = <T>(pairs: readonly Pair<T>[], value: (sample: T) => number): number[] =>
  pairs.map((pair) => value(pair.system) / value(pair.baseline));

/** The figure that counts: the median over pairs of system ÷ baseline. */
export const medianRatio = <T>(pairs: readonly Pair<T>[], value: (sample: T) => number): number =>
  median(ratios(pairs, value));

/** The median of one side's values over the pairs. */
export const medianOf = <T>(
  pairs: readonly Pair<T>[],
  side: keyof Pair<T>,
  value: (sample: T) => number,
): number => median(pairs.map((pair) => value(pair[side])));
