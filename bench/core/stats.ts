/** Plain statistics over samples: the harness reports medians of ratios and latency percentiles. */

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The nearest-rank percentile (p in 0..100); NaN for no samples. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1]!;
};

export interface Latencies {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export const latencies = (values: readonly number[]): Latencies => ({
  count: values.length,
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  max: values.length === 0 ? Number.NaN : Math.max(...values),
});

/** Rounds for display and JSON: 3 significant digits below 100, whole numbers above. */
export const round = (value: number): number => {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
};
