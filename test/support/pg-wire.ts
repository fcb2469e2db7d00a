import { Query } from 'pg';

/**
 * What went to PostgreSQL and came back, in order, while `run` runs: `sent <text>` when `pg` writes a statement to
 * its connection (in pipeline mode at once, otherwise once the answer before it is in) and `answered <text>` when
 * the statement's answer is complete.
 */
export const recordingWire = async (run: () => Promise<unknown>): Promise<string[]> => {
  const seen: string[] = [];
  const textOf = (query: { text?: string }) => (query.text ?? '').replace(/\s+/g, ' ').trim();
  const { submit, handleReadyForQuery } = Query.prototype as unknown as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  const submitted = jest.spyOn(Query.prototype as never, 'submit' as never).mockImplementation(function (
    this: { text?: string },
    ...args: unknown[]
  ) {
    seen.push(`sent ${textOf(this)}`);
    return submit!.apply(this, args);
  } as never);
  const answered = jest
    .spyOn(Query.prototype as never, 'handleReadyForQuery' as never)
    .mockImplementation(function (this: { text?: string }, ...args: unknown[]) {
      seen.push(`answered ${textOf(this)}`);
      return handleReadyForQuery!.apply(this, args);
    } as never);
  try {
    await run();
  } finally {
    submitted.mockRestore();
    answered.mockRestore();
  }
  return seen;
};

/** The index of the first `sent` or `answered` entry whose statement matches. */
export const wireIndex = (seen: readonly string[], kind: 'sent' | 'answered', pattern: RegExp): number =>
  seen.findIndex((s) => s.startsWith(`${kind} `) && pattern.test(s.slice(kind.length + 1)));
