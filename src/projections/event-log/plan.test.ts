import { useReadModelTestbed } from '../../../test/support/read-models/testbed';
import { encodePosition } from '../../eventstore/port';
import { explain } from '../shared/explain';
import { type EventQuery, eventLogQuery } from '.';

describe('event index query plans', () => {
  const bed = useReadModelTestbed('tt_rm_event_log_plan');
  const middle = encodePosition(1n, 15_000n);
  /** One organization of 200, one actor of 100, one stream of 100, a type in 2 % of the log: as selective as real ones. */
  const some = { organization: '', actor: '' };

  beforeAll(async () => {
    // Rows written directly: the plan depends on the table's shape and size, not on how the rows came.
    await bed.knex.raw(
      `INSERT INTO event_log (position, event_id, stream_id, revision, type, organization_id, actor_id, occurred_at,
         recorded_at, schema_version, correlation_id, causation_id, command_id, data, metadata)
       SELECT lpad('1', 16, '0') || '-' || lpad(to_hex(n), 16, '0'), gen_random_uuid(), 'issue-' || (n % 100), n / 100,
         CASE n % 50 WHEN 0 THEN 'MemberAdded' WHEN 1 THEN 'ProjectCreated' ELSE 'IssueStatusChanged' END,
         md5('o' || (n % 200))::uuid, md5('a' || (n % 100))::uuid, timestamptz '2025-01-01' + n * interval '1 second',
         now(), 1, 'c', 'c', 'c', '{}'::jsonb, '{}'::jsonb
       FROM generate_series(1, 30000) AS n`,
    );
    await bed.knex.raw('ANALYZE event_log');
    const row = await bed.knex('event_log').select('organization_id', 'actor_id').first();
    Object.assign(some, { organization: row.organization_id, actor: row.actor_id });
  });

  const plan = async (query: EventQuery, after: string | null = null): Promise<string> => {
    const built = eventLogQuery(query, after, 51);
    if (built === null) throw new Error('matches nothing');
    return explain(bed.knex, built, { seqscan: false });
  };

  it.each<[string, () => EventQuery, RegExp]>([
    [
      'an organization newest first',
      () => ({ organization: some.organization, newestFirst: true }),
      /Backward using event_log_organization/,
    ],
    ['the whole log from a position', () => ({ afterPosition: middle }), /Index Scan using event_log_pkey/],
    ['one actor', () => ({ actor: some.actor }), /Index Scan using event_log_actor/],
    ['one stream', () => ({ stream: 'issue-7' }), /Index Scan using event_log_stream/],
    ['one type', () => ({ types: ['MemberAdded'] }), /Index Scan using event_log_type/],
  ])('reads %s from an index in position order, without a sort', async (_, query, index) => {
    for (const after of [null, middle]) {
      const text = await plan(query(), after);
      expect(text).toMatch(index);
      expect(text).not.toMatch(/Sort/);
    }
  });

  it('merges several types with a Merge Append of index scans, never a sort', async () => {
    const text = await plan({ types: ['MemberAdded', 'ProjectCreated'] }, middle);
    expect(text).toMatch(/Merge Append/);
    expect(text.match(/Index Scan using event_log_type/g)).toHaveLength(2);
    expect(text).not.toMatch(/Sort\s{2}/);
  });
});
