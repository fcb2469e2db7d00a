/**
 * What the outage suites share: the service started behind a proxy the suite cuts, the load going while the suite's
 * cycles run, then the writers paused, every check run, the processes still the ones started (an outage must not
 * cost a restart), and everything closed, the proxy too. Each suite writes only its cycles and its own figures.
 */
import type { TcpProxy } from '../../../test/support/tcp-proxy';
import { type Harness, type HarnessOptions, startHarness } from './harness';

export interface OutageRun {
  /** Null when the service could not be started (the failures say why). */
  harness: Harness | null;
  failures: string[];
  checked: { events: number; notifications: number; messages: number };
  /** The figures every outage suite reports about its load and its checks, in the order to print. */
  figures(): Record<string, number>;
}

export const runOutage = async (
  options: HarnessOptions & {
    proxy: TcpProxy;
    /** How long the load goes on after the last cycle, before the writers pause. */
    afterMs: number;
  },
  /** The suite's cycles, with the load going; what fails goes into `failures`. */
  cycles: (harness: Harness, failures: string[]) => Promise<void>,
): Promise<OutageRun> => {
  const log = options.log ?? (() => undefined);
  const failures: string[] = [];
  let harness: Harness | null = null;
  let checked = { events: 0, notifications: 0, messages: 0 };
  try {
    harness = await startHarness(options);
    const { workload, service } = harness;
    const pids = service.processes.map((p) => String(p.pid));
    workload.resume();
    await cycles(harness, failures);
    await new Promise((resolve) => setTimeout(resolve, options.afterMs));
    log('pausing the writers');
    await workload.pause();
    log('checking');
    const results = await harness.check();
    for (const [name, result] of Object.entries(results))
      failures.push(...result.failures.map((f) => `after the outages (${name}): ${f}`));
    failures.push(...workload.complaints.splice(0));
    const now = service.processes.map((p) => String(p.pid));
    if (now.join() !== pids.join()) failures.push(`processes were restarted: ${pids} became ${now}`);
    checked = {
      events: results.readModels.checked,
      notifications: results.notifications.checked,
      messages: results.sockets.checked,
    };
  } catch (error) {
    failures.push(`the suite stopped: ${(error as Error).stack ?? String(error)}`);
  } finally {
    if (harness) for (const crash of await harness.close()) failures.push(`the service: ${crash}`);
    await options.proxy.close();
  }
  const started = harness;
  return {
    harness: started,
    failures,
    checked,
    figures: () => {
      const load = started?.workload.figures();
      return {
        'commands (logical requests)': load?.commands ?? 0,
        'commands retried after a 503 or no answer': load?.retried ?? 0,
        'reads and logins': started?.workload.attempts.filter((a) => a.kind !== 'command').length ?? 0,
        'events folded and compared': checked.events,
        'notifications checked': checked.notifications,
        'socket messages checked': checked.messages,
        'socket clients': started?.sockets.length ?? 0,
      };
    },
  };
};
