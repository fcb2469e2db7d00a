/** For what a job or reaction does after an answer: retried until it passes, or its last failure after the time. */
import { setTimeout as delay } from 'node:timers/promises';

export const eventually = async <T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(25);
    }
  }
};
