import { type BackoffStrategy, exponential } from 'agenda';

export interface RetryPolicy {
  /** The first retry's delay; each next one is `factor` times longer, up to `maxDelayMs`. */
  delayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Retries after a failed run; the run after them is the job's next scheduled (or requested) one. */
  maxRetries: number;
  /** 0–1: how much of each delay is random, so schedulers failing together do not retry together. */
  jitter: number;
}

/** 10 s, 20 s, 40 s, 80 s, 160 s: five retries over about five minutes. */
export const DEFAULT_RETRY: RetryPolicy = {
  delayMs: 10_000,
  factor: 2,
  maxDelayMs: 10 * 60_000,
  maxRetries: 5,
  jitter: 0.2,
};

/**
 * Agenda's exponential backoff, counted per run. Agenda numbers attempts by its failure count, which only a
 * success resets: a job failing every day would get its retries on the first day and none after. Counting the
 * attempts in rounds of `maxRetries + 1` gives each scheduled run its own series of retries.
 */
export const retryStrategy = (policy: RetryPolicy = DEFAULT_RETRY): BackoffStrategy => {
  const backoff = exponential({
    delay: policy.delayMs,
    factor: policy.factor,
    maxDelay: policy.maxDelayMs,
    maxRetries: policy.maxRetries,
    jitter: policy.jitter,
  });
  return (context) => backoff({ ...context, attempt: ((context.attempt - 1) % (policy.maxRetries + 1)) + 1 });
};
