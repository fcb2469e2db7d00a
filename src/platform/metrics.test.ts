import { register as globalRegistry } from 'prom-client';
import { createMetrics } from './metrics';

const NAMES = [
  'http_request_duration_seconds',
  'commands_total',
  'eventstore_append_duration_seconds',
  'eventstore_subscription_drops_total',
  'projection_lag_events',
  'projection_lag_seconds',
  'websocket_open_sockets',
  'websocket_messages_sent_total',
  'websocket_dropped_slow_sockets_total',
  'job_runs_total',
  'job_failures_total',
  'job_run_duration_seconds',
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_seconds',
];

describe('metrics', () => {
  it('exposes every metric by name, in the Prometheus text format', async () => {
    const metrics = createMetrics();
    const text = await metrics.metricsText();
    for (const name of NAMES) expect(text).toContain(`# TYPE ${name} `);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toContain('# HELP commands_total');
  });

  it('records requests, commands, appends and sockets with their labels', async () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.observeHttp('POST', '/organizations/:orgId/projects', 201, 0.012);
    metrics.commands.inc({ type: 'CreateIssue', outcome: 'ok' });
    metrics.eventStoreAppendDuration.observe({ outcome: 'conflict' }, 0.002);
    metrics.websocketOpenSockets.inc({ route: '/ws/projects/:projectId/' });
    metrics.websocketMessagesSent.inc({ route: '/ws/notifications/' }, 3);
    metrics.websocketDroppedSlowSockets.inc({ route: '/ws/notifications/' });
    metrics.eventStoreSubscriptionDrops.inc({ reason: 'aborted' });
    const text = await metrics.metricsText();
    expect(text).toContain(
      'http_request_duration_seconds_count{method="POST",route="/organizations/:orgId/projects",status="201"} 1',
    );
    expect(text).toContain('commands_total{type="CreateIssue",outcome="ok"} 1');
    expect(text).toContain('eventstore_append_duration_seconds_count{outcome="conflict"} 1');
    expect(text).toContain('websocket_open_sockets{route="/ws/projects/:projectId/"} 1');
    expect(text).toContain('websocket_messages_sent_total{route="/ws/notifications/"} 3');
    expect(text).toContain('websocket_dropped_slow_sockets_total{route="/ws/notifications/"} 1');
    expect(text).toContain('eventstore_subscription_drops_total{reason="aborted"} 1');
  });

  it('counts job runs, failures and durations by job name, from 0 for the jobs it was told of', async () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.declareJobs(['cleanup', 'overdue-reminders']);
    metrics.observeJob('cleanup', 'failed', 0.2);
    metrics.observeJob('cleanup', 'ok', 0.05);
    const text = await metrics.metricsText();
    expect(text).toContain('job_runs_total{job="cleanup"} 2');
    expect(text).toContain('job_failures_total{job="cleanup"} 1');
    expect(text).toContain('job_run_duration_seconds_count{job="cleanup"} 2');
    expect(text).toContain('job_run_duration_seconds_bucket{le="0.1",job="cleanup"} 1');
    expect(text).toContain('job_runs_total{job="overdue-reminders"} 0');
    expect(text).toContain('job_failures_total{job="overdue-reminders"} 0');
  });

  it('reads projection lag from its source once per scrape, and shows the current values only', async () => {
    const metrics = createMetrics({ collectDefault: false });
    const source = jest.fn().mockResolvedValueOnce([
      { projection: 'issues', events: 12, ms: 250 },
      { projection: 'activity', events: 0, ms: 0 },
    ]);
    metrics.setProjectionLagSource(source);
    const first = await metrics.metricsText();
    expect(source).toHaveBeenCalledTimes(1);
    expect(first).toContain('projection_lag_events{projection="issues"} 12');
    expect(first).toContain('projection_lag_seconds{projection="issues"} 0.25');
    expect(first).toContain('projection_lag_events{projection="activity"} 0');

    source.mockResolvedValueOnce([{ projection: 'activity', events: 1, ms: 5 }]);
    const second = await metrics.metricsText();
    expect(second).not.toContain('projection="issues"');
    expect(second).toContain('projection_lag_events{projection="activity"} 1');
  });

  it('answers a scrape even when the lag source fails', async () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.setProjectionLagSource(() => Promise.reject(new Error('database down')));
    const text = await metrics.metricsText();
    expect(text).toContain('# TYPE projection_lag_events gauge');
    expect(text).not.toContain('projection_lag_events{');
  });

  it('keeps each registry to itself, away from the global one', async () => {
    const a = createMetrics({ collectDefault: false });
    const b = createMetrics({ collectDefault: false });
    a.commands.inc({ type: 'RenameProject', outcome: 'ok' });
    expect(await b.metricsText()).not.toContain('RenameProject');
    expect(await globalRegistry.metrics()).not.toContain('commands_total');
  });
});
