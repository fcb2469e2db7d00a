/** Assertions shared by the HTTP suites: statuses, problem+json answers, and following pages. The situations they start from are in fixtures.ts. */
import type { Response } from 'supertest';
import type { TestApi, TestUser } from './api';

/**
 * The answer is `application/problem+json` with `{ type, title, status, detail }`, and, when `fields` are named,
 * an `errors` list that names each of them.
 */
export const expectProblem = (res: Response, status: number, fields: readonly string[] = []): void => {
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
  const allowed = new Set(['type', 'title', 'status', 'detail', 'errors']);
  expect(Object.keys(res.body).filter((k) => !allowed.has(k))).toEqual([]);
  if (fields.length > 0) {
    expect(Array.isArray(res.body.errors)).toBe(true);
    for (const error of res.body.errors as unknown[]) {
      expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    for (const field of fields) expect(paths).toContain(field);
  }
};

/** The status, or a readable failure naming what came back. */
export const expectStatus = (res: Response, status: number): void => {
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
};

/** A `next` URL as supertest can request it: absolute in the answer, path and query for the in-process app. */
export const relative = (next: string): string => {
  expect(next).toMatch(/^https?:\/\/[^/]+\//);
  const url = new URL(next);
  return `${url.pathname}${url.search}`;
};

/** Follows `next` from the first page to the end; every page must answer 200 with `{ results, next }`. */
export const allPages = async <T = Record<string, unknown>>(
  api: TestApi,
  by: TestUser,
  path: string,
): Promise<{ results: T[]; pages: number }> => {
  const results: T[] = [];
  let pages = 0;
  for (let next: string | null = path; next !== null; ) {
    const res: Response = await api.http.get(next).set(by.auth);
    expectStatus(res, 200);
    expect(Object.keys(res.body).sort()).toEqual(['next', 'results']);
    results.push(...(res.body.results as T[]));
    pages += 1;
    next = res.body.next === null ? null : relative(res.body.next as string);
    if (pages > 1000) throw new Error('the pages never end');
  }
  return { results, pages };
};
