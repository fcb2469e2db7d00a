import { isPostgresUnavailable } from './postgres-errors';

describe('isPostgresUnavailable', () => {
  it.each([
    ['a refused connection', { code: 'ECONNREFUSED' }],
    ['a cut connection', { code: 'ECONNRESET' }],
    ['an unknown host', { code: 'ENOTFOUND' }],
    ['admin shutdown', { code: '57P01' }],
    ['the server starting', { code: '57P03' }],
    ['too many connections', { code: '53300' }],
    ['a connection exception', { code: '08006' }],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect', new Error('timeout exceeded when trying to connect')],
    ['a knex pool timeout', new Error('Knex: Timeout acquiring a connection. The pool is probably full.')],
  ])('says yes for %s', (_, error) => {
    expect(isPostgresUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', { code: '23505' }],
    ['a syntax error', { code: '42601' }],
    ['a plain error', new Error('something else')],
    ['nothing', undefined],
    ['a string', 'ECONNREFUSED'],
  ])('says no for %s', (_, error) => {
    expect(isPostgresUnavailable(error)).toBe(false);
  });
});
