/** Load that runs behind a measurement (creates at half of the peak) until the measurement is done. */
import { type LoadOptions, type LoadResult, type LoadTarget, runLoad } from './load';

export interface Background {
  /** Stops the load and returns what it did. */
  stop(): Promise<LoadResult>;
}

/** At most an hour; `stop()` ends it sooner. */
export const startBackground = (
  target: LoadTarget,
  options: Omit<LoadOptions, 'seconds' | 'until'>,
): Background => {
  let release: () => void = () => undefined;
  const until = new Promise<void>((resolve) => {
    release = resolve;
  });
  const result = runLoad(target, { ...options, seconds: 3600, until });
  return {
    stop() {
      release();
      return result;
    },
  };
};
