/**
 * The Redis outage suite (QUALITY.md, "Redis down: commands and queries keep working, sockets reconnect and
 * resume with no gap once it is back"). Every process of the service reaches Redis (the realtime bus, the login
 * limits) through a TCP proxy the suite controls; the shared server itself is never touched. Under load from
 * writers, readers (logins included) and WebSocket clients, each cycle stops "Redis" (the proxy refuses
 * connections and drops the open ones), keeps it down a while, and brings it back. Meanwhile:
 *
 * - every command and every read is answered as if nothing were wrong (2xx, or the refusals the writers expect),
 *   never a 5xx, never a hang; logins work (their limits let requests through while their store is down);
 * - a client that first connects while Redis is down gets the feed from its `since`;
 * - once Redis is back, every client (those that stayed connected and those that resumed) has exactly its
 *   project's feed: nothing missed, nothing twice, in order; and the usual checks hold (log, read models,
 *   notifications, applied once, no process died).
 */
import { startTcpProxy } from '../../test/support/tcp-proxy';
import { PASSWORD, request } from './support/http';
import { runOutage } from './support/outage';
import { answersLine, judge } from './support/phases';
import type { SuiteReport } from './support/report';
import type { Role } from './support/service';

export interface RedisOutageOptions {
  cycles: number;
  roles: readonly Role[];
  /** The real Redis, which the proxy stands in front of. */
  redisUrl: string;
  writers: number;
  readers: number;
  socketsPerProject: number;
  /** How long each cycle keeps Redis unreachable. */
  downMs: number;
  log?: (line: string) => void;
}

export const REDIS_OUTAGE_DEFAULTS: Omit<RedisOutageOptions, 'redisUrl'> = {
  cycles: 5,
  roles: ['api', 'api', 'projector', 'scheduler'],
  writers: 3,
  readers: 2,
  socketsPerProject: 2,
  downMs: 5000,
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a request may get while Redis is down: what it would get with Redis up. */
const unaffected = (answer: string) => /^2\d\d$/.test(answer) || answer === '400' || answer === '412';

export const runRedisOutageSuite = async (options: RedisOutageOptions): Promise<SuiteReport> => {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const redis = new URL(options.redisUrl);
  const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  let cycles = 0;
  const down: Record<string, number> = {};
  const run = await runOutage(
    {
      name: 'outage_redis',
      roles: options.roles,
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      writers: options.writers,
      readers: options.readers,
      socketsPerProject: options.socketsPerProject,
      log: options.log,
      proxy,
      afterMs: 2000,
    },
    async (harness, failures) => {
      const { workload } = harness;
      for (let cycle = 1; cycle <= options.cycles; cycle++) {
        await pause(1500);
        const cutAt = Date.now();
        await proxy.cut();
        await pause(options.downMs / 2);
        // A client that first connects now, with the bus down, resumes from the feed all the same.
        if (cycle === 1) harness.addSocket(cycle % harness.world.projects.length);
        // And someone logs in (the login limits count in Redis).
        const person = harness.world.staff[0]!;
        const login = await request(
          harness.service.apis[cycle % harness.service.apis.length]!,
          '/api/v1/auth/login/',
          {
            method: 'POST',
            body: { username: person.username, password: PASSWORD },
            timeoutMs: 20_000,
          },
        );
        if (!login.ok || login.answer.status !== 200)
          failures.push(
            `cycle ${cycle}: a login while Redis was down got ${login.ok ? login.answer.status : login.error}`,
          );
        await pause(options.downMs / 2);
        const restoredAt = Date.now();
        await proxy.restore();
        const window = judge(workload.attempts, cutAt, restoredAt, (a) => unaffected(a.answer));
        for (const [answer, n] of Object.entries(window.answers)) down[answer] = (down[answer] ?? 0) + n;
        if (window.count === 0) failures.push(`cycle ${cycle}: no request was made while Redis was down`);
        failures.push(...window.unacceptable.map((u) => `cycle ${cycle}, Redis down: ${u}`));
        for (const kind of ['command', 'query'] as const)
          if (
            !workload.attempts.some(
              (a) => a.kind === kind && a.at >= cutAt && a.at < restoredAt && unaffected(a.answer),
            )
          )
            failures.push(`cycle ${cycle}: no ${kind} succeeded while Redis was down`);
        cycles = cycle;
        log(
          `redis outage cycle ${cycle}/${options.cycles}: while down: ${answersLine(window.answers)}; ` +
            `${failures.length} failures`,
        );
      }
    },
  );
  return {
    suite: 'outage-redis',
    figures: {
      topology: options.roles.join(' + '),
      cycles,
      'seconds Redis was down (proxy cut)': (cycles * options.downMs) / 1000,
      'answers while Redis was down': answersLine(down),
      ...run.figures(),
      failures: run.failures.length,
    },
    failures: run.failures,
    seconds: (Date.now() - started) / 1000,
  };
};
