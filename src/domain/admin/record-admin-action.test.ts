import { specFor } from '../../../test/support/domain/spec';
import { by } from '../../../test/support/domain/ids';
import { ValidationError } from '../shared/errors';
import type { RecordAdminAction } from './commands';
import { adminDecider, DETAIL_KEYS_MAX, DETAIL_TEXT_MAX } from './decider';
import type { AdminActionRecorded } from './events';

const { given } = specFor(adminDecider);
const ADMIN = 'user-root';

const record = (details: Record<string, unknown>, action = 'events.exported'): RecordAdminAction => ({
  type: 'RecordAdminAction',
  data: { adminId: ADMIN, action: action as RecordAdminAction['data']['action'], details },
  metadata: by(ADMIN),
});
const recorded = (details: AdminActionRecorded['data']['details']): AdminActionRecorded => ({
  type: 'AdminActionRecorded',
  data: { adminId: ADMIN, action: 'events.exported', details },
});

describe('RecordAdminAction', () => {
  it('records the action with its flat details, after any earlier ones', () => {
    given([])
      .when(record({ after: null, type: 'IssueCreated', count: 3 }))
      .then([recorded({ after: null, type: 'IssueCreated', count: 3 })]);
    given([recorded({})])
      .when(record({ stream: 'issue-1' }))
      .then([recorded({ stream: 'issue-1' })]);
  });

  it('leaves out details that are undefined', () => {
    given([])
      .when(record({ from: undefined, to: '2026-01-01T00:00:00.000Z' }))
      .then([recorded({ to: '2026-01-01T00:00:00.000Z' })]);
  });

  it('refuses an action it does not know, naming action', () => {
    const error = given([]).when(record({}, 'events.deleted')).thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['action']);
  });

  it('refuses nested, overlong or too many details, naming details', () => {
    for (const details of [
      { filter: { type: 'x' } },
      { list: ['a'] },
      { text: 'x'.repeat(DETAIL_TEXT_MAX + 1) },
      { n: Number.NaN },
      Object.fromEntries(Array.from({ length: DETAIL_KEYS_MAX + 1 }, (_, i) => [`k${i}`, i])),
    ]) {
      const error = given([]).when(record(details)).thenThrows(ValidationError);
      expect(error.errors.map((e) => e.path)).toEqual(['details']);
    }
  });
});
