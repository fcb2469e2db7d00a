/** HTTP load with autocannon: closed loop at full speed, or capped at a rate; never pipelined. */
import autocannon from 'autocannon';
import { percentile } from './stats';

export interface LoadTarget {
  url: string;
  method?: 'GET' | 'POST' | 'PATCH';
  headers?: Record<string, string>;
  body?: string;
  /** Several requests, taken in turn by each connection (overrides method, headers and body). */
  requests?: autocannon.Request[];
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  rate?: number;
  /** Stops the load early when it settles (for background load whose length is not known ahead). */
  until?: Promise<unknown>;
}

export interface LoadResult {
  /** 2xx responses per second. */
  rps: number;
  /** Latency of 2xx responses in ms (every response timed, not autocannon's whole-ms histogram). */
  p50: number;
  p99: number;
  ok: number;
  /** Non-2xx responses, connection errors and timeouts. */
  failures: number;
  /** Counts by status code of what was neither 200 nor 201 (202: a command answered before its read-your-writes). */
  statuses: Record<string, number>;
}

const isOk = (status: number) => status >= 200 && status < 300;

const summarize = (result: autocannon.Result, samples: number[], statuses: Record<string, number>) => ({
  rps: result['2xx'] / result.duration,
  p50: percentile(samples, 50),
  p99: percentile(samples, 99),
  ok: result['2xx'],
  failures: result.non2xx + result.errors,
  statuses,
});

export const runLoad = (target: LoadTarget, options: LoadOptions): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const samples: number[] = [];
    const statuses: Record<string, number> = {};
    const instance = autocannon(
      {
        url: target.url,
        method: target.method ?? 'GET',
        headers: target.headers,
        body: target.body,
        requests: target.requests,
        connections: options.connections,
        duration: options.seconds,
        overallRate: options.rate === undefined ? undefined : Math.max(1, Math.round(options.rate)),
        pipelining: 1,
        timeout: 30,
      },
      (error, result) => (error ? reject(error) : resolve(summarize(result, samples, statuses))),
    );
    void options.until?.then(() => instance.stop());
    instance.on('response', (_client, status, _bytes, ms) => {
      if (isOk(status)) samples.push(ms);
      if (status !== 200 && status !== 201) statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
