/** Small helpers rows share to describe what they measured. */
import type { LoadResult } from './load';
import { round } from './stats';

/** Failed requests of a side, and answers other than 200/201, as a note ("create: 3 failed (503×3)"), or none. */
export const failureNotes = (side: string, results: readonly LoadResult[]): string[] => {
  const failures = results.reduce((sum, r) => sum + r.failures, 0);
  const statuses: Record<string, number> = {};
  for (const r of results) {
    for (const [status, n] of Object.entries(r.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  }
  const detail = Object.entries(statuses)
    .map(([status, n]) => `${status}×${n}`)
    .join(', ');
  if (failures === 0 && detail === '') return [];
  return [`${side}: ${failures} failed requests${detail ? `; answers other than 200/201: ${detail}` : ''}`];
};

export const ms = (value: number): string => `${round(value)} ms`;
export const perSecond = (value: number, unit = 'req/s'): string => `${round(value)} ${unit}`;
export const times = (value: number): string => `${round(value)} ×`;
