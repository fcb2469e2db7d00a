/** In-process load: `workers` loops, each running one operation after another until the time is up. */
import { latencies } from './stats';

export interface LoopResult {
  /** Operations completed per second. */
  rate: number;
  count: number;
  failures: number;
  /** The first failure's message, if any. */
  firstError: string | null;
  p50: number;
  p99: number;
}

export const closedLoop = async (
  workers: number,
  seconds: number,
  op: (worker: number, iteration: number) => Promise<unknown>,
): Promise<LoopResult> => {
  const samples: number[] = [];
  let failures = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const t0 = performance.now();
      try {
        await op(w, i);
        samples.push(performance.now() - t0);
      } catch (error) {
        failures += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  const elapsed = (performance.now() - started) / 1000;
  const { p50, p99 } = latencies(samples);
  return { rate: samples.length / elapsed, count: samples.length, failures, firstError, p50, p99 };
};
