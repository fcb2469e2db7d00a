/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across the bench's processes on one
 * machine (each process's time origin is read from the same system clock; measured here within 0.1 ms).
 */
export const wallMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
