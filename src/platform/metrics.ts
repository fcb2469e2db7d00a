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
}

// Sub-millisecond to seconds: appends and most requests take a few ms, a read-your-writes wait up to its timeout.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const createMetrics = (
  options: { defaultLabels?: Record<string, string>; collectDefault?: boolean } = {},
): Metrics => {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const commands = new Counter({
    name: 'commands_total',
    help: 'Commands handled, by command type and outcome (ok, rejected, conflict, error)',
    labelNames: ['type', 'outcome'] as const,
    registers,
  });
  const eventStoreAppendDuration = new Histogram({
    name: 'eventstore_append_duration_seconds',
    help: 'Event store append latency, by outcome (ok, conflict, error)',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });

  const eventStoreSubscriptionDrops = new Counter({
    name: 'eventstore_subscription_drops_total',
    help: 'EventStoreDB $all subscriptions dropped and opened again, by reason (aborted: the server dropped a slow consumer; unavailable: connection lost; ended: the server ended the call)',
    labelNames: ['reason'] as const,
    registers,
  });

  // Lag is read when scraped, not pushed: one read of the source serves both gauges of the same scrape.
  let lagSource: (() => Promise<readonly ProjectionLag[]> | readonly ProjectionLag[]) | undefined;
  let lagRead: Promise<readonly ProjectionLag[] | undefined> | undefined;
  const readLag = () => {
    lagRead ??= Promise.resolve()
      .then(() => lagSource?.())
      .catch(() => undefined) // a failing source must not fail the scrape: the gauges go empty instead
      .finally(() => {
        lagRead = undefined;
      });
    return lagRead;
  };
  const lagGauge = (name: string, help: string, value: (lag: ProjectionLag) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'] as const,
      registers,
      async collect() {
        if (!lagSource) return;
        const lags = await readLag();
        this.reset();
        for (const lag of lags ?? []) this.set({ projection: lag.projection }, value(lag));
      },
    });
  const projectionLagEvents = lagGauge(
    'projection_lag_events',
    'Events appended to the log but not yet applied, per projection',
    (lag) => lag.events,
  );
  const projectionLagSeconds = lagGauge(
    'projection_lag_seconds',
    'Age of the oldest event not yet applied (0 when caught up), per projection',
    (lag) => lag.ms / 1000,
  );

  const websocketOpenSockets = new Gauge({
    name: 'websocket_open_sockets',
    help: 'Open WebSocket connections, by route',
    labelNames: ['route'] as const,
    registers,
  });
  const websocketMessagesSent = new Counter({
    name: 'websocket_messages_sent_total',
    help: 'Messages sent to WebSocket clients, by route',
    labelNames: ['route'] as const,
    registers,
  });
  const websocketDroppedSlowSockets = new Counter({
    name: 'websocket_dropped_slow_sockets_total',
    help: 'WebSocket connections closed because the client read too slowly (send buffer over its limit), by route',
    labelNames: ['route'] as const,
    registers,
  });

  const metricsText = () => registry.metrics();
  return {
    registry,
    contentType: registry.contentType,
    metricsText,
    text: metricsText,
    observeHttp: (method, route, status, seconds) =>
      httpRequestDuration.observe({ method, route, status: String(status) }, seconds),
    setProjectionLagSource: (source) => {
      lagSource = source;
    },
    httpRequestDuration,
    commands,
    eventStoreAppendDuration,
    eventStoreSubscriptionDrops,
    projectionLagEvents,
    projectionLagSeconds,
    websocketOpenSockets,
    websocketMessagesSent,
    websocketDroppedSlowSockets,
  };
};
