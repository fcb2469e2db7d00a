/**
 * A small HTTP client for the reliability suites: one request to one process with a bound on the time it may take,
 * and the answer, or the network failure, as data (a killed process is an expected outcome here, not an exception).
 */

export interface Answer {
  status: number;
  headers: Headers;
  /** The JSON body, or the text when it is not JSON, or null when empty. */
  body: unknown;
  text: string;
}

export type Outcome = { ok: true; answer: Answer } | { ok: false; error: string };

export interface RequestOptions {
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Abandon the request after this long (the outcome is then a failure: the client never heard an answer). */
  timeoutMs?: number;
}

export const request = async (base: string, path: string, options: RequestOptions = {}): Promise<Outcome> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(`${base}${path}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { ok: true, answer: { status: response.status, headers: response.headers, body, text } };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { ok: false, error: cause?.code ?? (error as Error).name ?? String(error) };
  }
};

/** The answer, which must have the status; else an error naming what came instead. */
export const expectAnswer = async (
  outcome: Promise<Outcome>,
  status: number,
  what: string,
): Promise<Answer> => {
  const result = await outcome;
  if (!result.ok) throw new Error(`${what}: no answer (${result.error})`);
  if (result.answer.status !== status)
    throw new Error(
      `${what}: expected ${status}, got ${result.answer.status}: ${result.answer.text.slice(0, 300)}`,
    );
  return result.answer;
};

/** Retries `attempt` until it gives a value (not undefined) or `timeoutMs` passes (then the last reason). */
export const retryUntil = async <T>(
  attempt: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
  pauseMs = 200,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not done in ${timeoutMs} ms (${String(last ?? 'no value')})`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
};

/** A user of the service: signed up and signed in over HTTP. */
export interface Person {
  id: string;
  username: string;
  token: string;
}

/** Every suite user's password. */
export const PASSWORD = 'a long password for the suites';

/** Registers and logs in a user through any process of the service (retried while it is starting). */
export const signUp = async (base: string, username: string): Promise<Person> => {
  // 202: registered, the read models not there yet (a service still starting): the login works all the same.
  await retryUntil(async () => {
    const outcome = await request(base, '/api/v1/auth/register/', {
      method: 'POST',
      body: { username, email: `${username}@example.com`, password: PASSWORD },
      headers: { 'idempotency-key': `register-${username}` },
    });
    return outcome.ok && (outcome.answer.status === 201 || outcome.answer.status === 202) ? true : undefined;
  }, `register ${username}`);
  const login = await expectAnswer(
    request(base, '/api/v1/auth/login/', { method: 'POST', body: { username, password: PASSWORD } }),
    200,
    `login ${username}`,
  );
  const token = (login.body as { access: string }).access;
  // The access token names its user.
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    sub: string;
  };
  return { id: claims.sub, username, token };
};
