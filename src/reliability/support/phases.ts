/** Judging the attempts made during one phase of an outage suite: what came back, and what should not have. */
import type { Attempt } from './workload';

export interface Window {
  count: number;
  /** How many of each answer (`200`, `503`, `ECONNRESET`, …). */
  answers: Record<string, number>;
  /** The attempts `acceptable` refused, as lines. */
  unacceptable: string[];
}

/** The attempts sent in [from, to), judged one by one. */
export const judge = (
  attempts: readonly Attempt[],
  from: number,
  to: number,
  acceptable: (attempt: Attempt) => boolean,
): Window => {
  const inside = attempts.filter((a) => a.at >= from && a.at < to);
  const answers: Record<string, number> = {};
  for (const a of inside) answers[a.answer] = (answers[a.answer] ?? 0) + 1;
  return {
    count: inside.length,
    answers,
    unacceptable: inside
      .filter((a) => !acceptable(a))
      .map((a) => `${a.what} answered ${a.answer}${a.retryAfter ? ' (Retry-After)' : ''} after ${a.ms} ms`),
  };
};

/** `{"200": 12, "503": 4}` as `200×12 503×4`. */
export const answersLine = (answers: Record<string, number>): string =>
  Object.entries(answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([answer, n]) => `${answer}×${n}`)
    .join(' ') || 'none';

/** Waits until some attempt of the kind sent at or after `since` got a 2xx; returns when it was sent. */
export const firstSuccessAfter = async (
  attempts: readonly Attempt[],
  kind: Attempt['kind'],
  since: number,
  timeoutMs = 60_000,
): Promise<number | null> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = attempts.find((a) => a.kind === kind && a.at >= since && /^2\d\d$/.test(a.answer));
    if (found) return found.at + found.ms;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
