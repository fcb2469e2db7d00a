/**
 * The bench's own pieces, cheaply: the statistics and the interleaving the figures rest on, the argument parsing,
 * and one smoke run of a row with tiny sizes, asserting the shape of its result and never a timing.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import type pg from 'pg';
import { sentTimeOf } from './clients/protocol';
import { split } from './clients/holders';
import { parseArgs } from './core/args';
import { interleave, medianOf, medianRatio, ratios } from './core/interleave';
import { watchNotifications } from './core/notifications';
import { silentProgress } from './core/progress';
import { table } from './core/report';
import { runRows } from './core/runner';
import { servicesFromEnv } from './core/services';
import { TINY } from './core/sizes';
import { latencies, median, percentile } from './core/stats';
import { queryString } from './data/list-queries';
import { ROWS } from './rows';
import { appendRow } from './rows/append';
import { isIndexPlanWithoutSort } from './rows/list';
import { drift } from './rows/memory';
import { socketCapacity } from './rows/sockets';

describe('statistics', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(latencies([5, 1, 3])).toEqual({ count: 3, p50: 3, p99: 5, max: 5 });
  });
});

describe('interleaving', () => {
  it('warms up, then alternates baseline and system, pair after pair', async () => {
    const calls: string[] = [];
    let n = 0;
    const pairs = await interleave({
      pairs: 3,
      baseline: async () => {
        calls.push('baseline');
        return ++n;
      },
      system: async () => {
        calls.push('system');
        return ++n;
      },
    });
    expect(calls).toEqual([
      'baseline',
      'system',
      'baseline',
      'system',
      'baseline',
      'system',
      'baseline',
      'system',
    ]);
    expect(pairs).toEqual([
      { baseline: 3, system: 4 },
      { baseline: 5, system: 6 },
      { baseline: 7, system: 8 },
    ]);
  });

  it('runs a given warm-up instead of an unmeasured pair', async () => {
    const calls: string[] = [];
    await interleave({
      pairs: 1,
      warmup: async () => calls.push('warm-up'),
      baseline: async () => calls.push('baseline'),
      system: async () => calls.push('system'),
    });
    expect(calls).toEqual(['warm-up', 'baseline', 'system']);
  });

  it('counts the median of the per-pair ratios, not the ratio of medians', () => {
    const pairs = [
      { baseline: { rps: 100 }, system: { rps: 10 } },
      { baseline: { rps: 50 }, system: { rps: 10 } },
      { baseline: { rps: 10 }, system: { rps: 5 } },
    ];
    expect(ratios(pairs, (r) => r.rps)).toEqual([0.1, 0.2, 0.5]);
    expect(medianRatio(pairs, (r) => r.rps)).toBe(0.2);
    expect(medianOf(pairs, 'system', (r) => r.rps)).toBe(10);
  });
});

describe('the command line', () => {
  const names = ROWS.map((row) => row.name);

  it('knows every row of QUALITY.md by name', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'create',
        'append',
        'list',
        'lag',
        'ws-push',
        'rebuild',
        'idle-ws',
        'memory',
        'growth',
      ]),
    );
  });

  it('reads --quick, --help and rows, and refuses anything else', () => {
    expect(parseArgs(['--quick', 'list', 'lag'], names)).toEqual({
      quick: true,
      help: false,
      rows: ['list', 'lag'],
    });
    expect(parseArgs(['--help'], names).help).toBe(true);
    expect(() => parseArgs(['lists'], names)).toThrow(/unknown argument "lists"/);
  });
});

describe('row helpers', () => {
  it('reads the send time a message carries, and nothing else', () => {
    expect(sentTimeOf(JSON.stringify({ type: 'issue.created', title: 'ws 1234.5' }))).toBe(1234.5);
    expect(sentTimeOf(JSON.stringify({ sent: 'ws 99' }))).toBe(99);
    expect(sentTimeOf(JSON.stringify({ title: 'Fix the login' }))).toBeNull();
    expect(sentTimeOf('not json')).toBeNull();
  });

  it('holds fewer sockets than asked when the open-file limit is lower, and says so', () => {
    expect(socketCapacity(10_000, 65_536)).toEqual({ sockets: 10_000, notes: [] });
    const capped = socketCapacity(20_000, 20_000);
    expect(capped.sockets).toBeLessThan(20_000);
    expect(capped.notes[0]).toMatch(/open-file limit is 20000/);
  });

  it('tells an index scan without a sort from a sorted plan', () => {
    expect(
      isIndexPlanWithoutSort(
        'Limit\n  ->  Merge Append\n        Sort Key: x\n        ->  Index Scan using a',
      ),
    ).toBe(true);
    expect(isIndexPlanWithoutSort('Limit\n  ->  Sort  (cost=1..2)\n        ->  Bitmap Heap Scan')).toBe(
      false,
    );
    expect(isIndexPlanWithoutSort('Limit\n  ->  Seq Scan on issues')).toBe(false);
  });

  it('writes list requests as API.md spells them', () => {
    expect(queryString({ project: 'p', status: ['open', 'blocked'], assignedTo: 'none', limit: 50 })).toBe(
      'project=p&status=open&status=blocked&assigned_to=none&limit=50',
    );
  });

  it('measures how far RSS readings wander from their median, and their trend', () => {
    const flat = drift([100, 101, 99, 100, 100]);
    expect(flat.reference).toBe(100);
    expect(flat.high).toBeCloseTo(0.01);
    expect(drift([100, 110, 120, 130, 140]).trend).toBeCloseTo(0.333, 2);
  });

  it('splits sockets evenly over the children holding them', () => {
    expect(split([1, 2, 3, 4, 5], 2)).toEqual([
      [1, 3, 5],
      [2, 4],
    ]);
  });
});

describe('notification arrivals', () => {
  const setUp = () => {
    const client = new EventEmitter();
    const arrivals = watchNotifications(client as unknown as pg.Client, 'commits', 'pings');
    const notify = (channel: string, payload: string) => client.emit('notification', { channel, payload });
    return { arrivals, notify };
  };

  it('answers a commit at or past the position, also one announced before the question', async () => {
    const { arrivals, notify } = setUp();
    notify('commits', '0000000000000001-0000000000000005');
    const before = await arrivals.committed('0000000000000001-0000000000000004');
    const waiting = arrivals.committed('0000000000000001-0000000000000009');
    notify('commits', '0000000000000001-0000000000000007 0123456789abcdef');
    notify('commits', 'not a commit notice');
    notify('commits', '0000000000000002-0000000000000001 0123456789abcdef');
    const after = await waiting;
    expect(after).toBeGreaterThanOrEqual(before);
  });

  it('answers a ping by its id only', async () => {
    const { arrivals, notify } = setUp();
    const ping = arrivals.pinged('2');
    notify('pings', '1');
    notify('pings', '2');
    await expect(ping).resolves.toEqual(expect.any(Number));
  });
});

describe('a smoke run with tiny sizes', () => {
  it('measures the append row against its baseline and reports a well-formed result', async () => {
    const report = await runRows({
      rows: [appendRow],
      sizes: TINY,
      progress: silentProgress,
      services: servicesFromEnv(),
      logDir: os.tmpdir(),
    });
    const [row] = report.rows;
    expect(row?.error).toBeUndefined();
    expect(row).toMatchObject({ name: 'append', holds: expect.any(Boolean), summary: expect.any(String) });
    expect(row?.pairs).toHaveLength(TINY.pairs);
    for (const key of ['ratio', 'appendsPerSecond', 'insertsPerSecond']) {
      expect(row?.figures[key]).toEqual(expect.any(Number));
      expect(row?.figures[key]).toBeGreaterThan(0);
    }
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(table(report)).toMatch(/^\| append \|/m);
  }, 60_000);
});
