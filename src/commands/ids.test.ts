import { UUID_PATTERN } from '../shared/uuid';
import { newAggregateId, uuidv7 } from './ids';

describe('uuidv7', () => {
  it('makes version 7, variant 1 UUIDs', () => {
    const id = uuidv7();
    expect(id).toMatch(UUID_PATTERN);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });

  it('sorts by creation time', () => {
    const earlier = uuidv7(1_700_000_000_000);
    const later = uuidv7(1_700_000_000_001);
    expect(earlier < later).toBe(true);
    expect(earlier.slice(0, 13)).toBe('018bcfe5-6800');
  });
});

describe('newAggregateId', () => {
  it('derives the same valid UUID from the same command id, and a fresh one without', () => {
    const a = newAggregateId('idempotency:user:key-1');
    expect(a).toMatch(UUID_PATTERN);
    expect(a[14]).toBe('8');
    expect(newAggregateId('idempotency:user:key-1')).toBe(a);
    expect(newAggregateId('idempotency:user:key-2')).not.toBe(a);
    expect(newAggregateId(undefined)).not.toBe(newAggregateId(undefined));
  });
});

describe('uuidv7 randomness', () => {
  it('differs in its random bits between ids of the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id.slice(0, 15)).toBe('018bcfe5-6800-7');
  });
});
