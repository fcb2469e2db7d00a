/**
 * Prometheus metrics, in a registry of their own per call (never prom-client's global one), so every test and
 * every process builds exactly the metrics it exposes.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One projection's distance behind the head of the log, as the projector measures it. */
export interface ProjectionLag {
  projection: string;
  /** Events appended but not yet applied. */
  events: number;
  /** Age of the oldest unapplied event (0 when caught up), in milliseconds. */
  ms: number;
}

export type CommandOutcome = 'ok' | 'rejected' | 'conflict' | 'error';
export type JobOutcome = 'ok' | 'failed';
export type AppendOutcome = 'ok' | 'conflict' | 'error';

export interface Metrics {
  registry: Registry;
  /** The exposition format's content type, for the `/metrics` response. */
  contentType: string;
  metricsText(): Promise<string>;
  /** The same as `metricsText`, in the shape the API's `operations.metrics` takes. */
  text(): Promise<string>;
  /** The API's `operations.observe`: one finished HTTP request; `route` is the route pattern, not the path. */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** Called at scrape time; replaces any earlier source. */
  setProjectionLagSource(source: () => Promise<readonly ProjectionLag[]> | readonly ProjectionLag[]): void;
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  commands: Counter<'type' | 'outcome'>;
  eventStoreAppendDuration: Histogram<'outcome'>;
  /** `$all` subscriptions the server or the connection dropped and the EventStoreDB adapter opened again. */
  eventStoreSubscriptionDrops: Counter<'reason'>;
  projectionLagEvents: Gauge<'projection'>;
  projectionLagSeconds: Gauge<'projection'>;
  websocketOpenSockets: Gauge<'route'>;
  websocketMessagesSent: Counter<'route'>;
  websocketDroppedSlowSockets: Counter<'route'>;
  /** The scheduler's `observe`: one finished run of a job (a retry is a run of its own). */
  observeJob(job: string, outcome: JobOutcome, seconds: number): void;
  /** Makes the jobs' series exist at 0 before their first run, so rates and alerts see them from the start. */
  declareJobs(jobs: readonly string[]): void;
  jobRuns: Counter<'job'>;
  jobFailures: Counter<'job'>;
  jobRunDuration: Histogram<'job'>;
}

// Sub-millisecond to seconds: appends and most requests take a few ms, a read-your-writes wait up to its timeout.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Jobs take milliseconds (a cleanup with nothing to do) to minutes (a day's reminders).
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];

/** What each metric measures (its HELP line), by name. */
const HELP = {
  http_request_duration_seconds: 'HTTP request duration by method, route pattern and status code',
  commands_total: 'Commands handled, by command type and outcome (ok, rejected, conflict, error)',
  eventstore_append_duration_seconds: 'Event store append latency, by outcome (ok, conflict, error)',
  eventstore_subscription_drops_total:
    'EventStoreDB $all subscriptions dropped and opened again, by reason (aborted: the server dropped a slow consumer; unavailable: connection lost; ended: the server ended the call)',
  projection_lag_events: 'Events appended to the log but not yet applied, per projection',
  projection_lag_seconds: 'Age of the oldest event not yet applied (0 when caught up), per projection',
  websocket_open_sockets: 'Open WebSocket connections, by route',
  websocket_messages_sent_total: 'Messages sent to WebSocket clients, by route',
  websocket_dropped_slow_sockets_total:
    'WebSocket connections closed because the client read too slowly (send buffer over its limit), by route',
  job_runs_total: 'Job runs this process finished (each retry counts as a run), by job name',
  job_failures_total: 'Job runs that failed (they are retried with backoff), by job name',
  job_run_duration_seconds: 'How long job runs took, failed ones included, by job name',
} as const;
type MetricName = keyof typeof HELP;

type LagSource = () => Promise<readonly ProjectionLag[]> | readonly ProjectionLag[];

/** Metrics of one registry; each is registered as it is made, which is the order `/metrics` lists them in. */
const metricsOf = (registry: Registry) => {
  const registers = [registry];
  return {
    counter: <L extends string>(name: MetricName, labelNames: readonly L[]) =>
      new Counter<L>({ name, help: HELP[name], labelNames, registers }),
    gauge: <L extends string>(name: MetricName, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help: HELP[name], labelNames, registers }),
    latency: <L extends string>(name: MetricName, labelNames: readonly L[], buckets = LATENCY_BUCKETS) =>
      new Histogram<L>({ name, help: HELP[name], labelNames, buckets, registers }),
  };
};

/** Lag is read when scraped, not pushed: one read of the source serves both gauges of the same scrape. */
const projectionLagGauges = (registry: Registry) => {
  let source: LagSource | undefined;
  let reading: Promise<readonly ProjectionLag[] | undefined> | undefined;
  const read = () => {
    reading ??= Promise.resolve()
      .then(() => source?.())
      .catch(() => undefined) // a failing source must not fail the scrape: the gauges go empty instead
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const lagGauge = (name: MetricName, value: (lag: ProjectionLag) => number) =>
    new Gauge({
      name,
      help: HELP[name],
      labelNames: ['projection'] as const,
      registers: [registry],
      async collect() {
        if (!source) return;
        const lags = await read();
        this.reset();
        for (const lag of lags ?? []) this.set({ projection: lag.projection }, value(lag));
      },
    });
  return {
    events: lagGauge('projection_lag_events', (lag) => lag.events),
    seconds: lagGauge('projection_lag_seconds', (lag) => lag.ms / 1000),
    /** Replaces any earlier source. */
    setSource: (next: LagSource) => {
      source = next;
    },
  };
};

export const createMetrics = (
  options: { defaultLabels?: Record<string, string>; collectDefault?: boolean } = {},
): Metrics => {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry });
  const make = metricsOf(registry);
  const httpRequestDuration = make.latency('http_request_duration_seconds', ['method', 'route', 'status']);
  const commands = make.counter('commands_total', ['type', 'outcome']);
  const eventStoreAppendDuration = make.latency('eventstore_append_duration_seconds', ['outcome']);
  const eventStoreSubscriptionDrops = make.counter('eventstore_subscription_drops_total', ['reason']);
  const lag = projectionLagGauges(registry);
  const websocketOpenSockets = make.gauge('websocket_open_sockets', ['route']);
  const websocketMessagesSent = make.counter('websocket_messages_sent_total', ['route']);
  const websocketDroppedSlowSockets = make.counter('websocket_dropped_slow_sockets_total', ['route']);
  const jobRuns = make.counter('job_runs_total', ['job']);
  const jobFailures = make.counter('job_failures_total', ['job']);
  const jobRunDuration = make.latency('job_run_duration_seconds', ['job'], JOB_BUCKETS);

  const metricsText = () => registry.metrics();
  return {
    registry,
    contentType: registry.contentType,
    metricsText,
    text: metricsText,
    observeHttp: (method, route, status, seconds) =>
      httpRequestDuration.observe({ method, route, status: String(status) }, seconds),
    setProjectionLagSource: lag.setSource,
    httpRequestDuration,
    commands,
    eventStoreAppendDuration,
    eventStoreSubscriptionDrops,
    projectionLagEvents: lag.events,
    projectionLagSeconds: lag.seconds,
    websocketOpenSockets,
    websocketMessagesSent,
    websocketDroppedSlowSockets,
    observeJob(job, outcome, seconds) {
      jobRuns.inc({ job });
      if (outcome === 'failed') jobFailures.inc({ job });
      jobRunDuration.observe({ job }, seconds);
    },
    declareJobs(jobs) {
      for (const job of jobs) {
        jobRuns.inc({ job }, 0);
        jobFailures.inc({ job }, 0);
      }
    },
    jobRuns,
    jobFailures,
    jobRunDuration,
  };
};
