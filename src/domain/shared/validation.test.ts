import { ValidationError } from './errors';
import { boundedText, calendarDateOrNull, trimmedText, validated } from './validation';

describe('calendarDateOrNull', () => {
  it.each(['2024-02-29', '2000-02-29', '2025-12-31', '0001-01-01', '9999-12-31'])(
    '%s is a real date',
    (date) => {
      expect(calendarDateOrNull(date)).toEqual({ ok: true, value: date });
    },
  );

  it.each([
    '2025-02-29',
    '1900-02-29',
    '2025-04-31',
    '2025-00-10',
    '2025-01-00',
    '0000-01-01',
    '2025-1-1',
    '20250101',
    ' 2025-01-01',
    '2025-01-01\n',
    '',
  ])('%j is refused', (date) => {
    expect(calendarDateOrNull(date).ok).toBe(false);
  });

  it('null means no date; other types are refused', () => {
    expect(calendarDateOrNull(null)).toEqual({ ok: true, value: null });
    expect(calendarDateOrNull(20250101).ok).toBe(false);
  });
});

describe('text checks', () => {
  it('trimmedText counts code points, so astral characters count once', () => {
    expect(trimmedText(2)('😀😀').ok).toBe(true);
    expect(trimmedText(2)('😀😀😀').ok).toBe(false);
  });

  it('trimmedText refuses non-strings', () => {
    expect(trimmedText(5)(42).ok).toBe(false);
  });

  it('boundedText accepts the empty string and keeps whitespace', () => {
    expect(boundedText(5)('')).toEqual({ ok: true, value: '' });
    expect(boundedText(5)(' a ')).toEqual({ ok: true, value: ' a ' });
  });
});

describe('validated', () => {
  it('returns every value when all checks pass', () => {
    expect(validated({ a: trimmedText(5)(' x '), b: boundedText(5)('y') })).toEqual({ a: 'x', b: 'y' });
  });

  it('throws one ValidationError listing every refused path in order', () => {
    const attempt = () =>
      validated({ a: trimmedText(5)(''), b: boundedText(5)('ok'), c: boundedText(1)('zz') });
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(
      expect.objectContaining({
        errors: [expect.objectContaining({ path: 'a' }), expect.objectContaining({ path: 'c' })],
      }),
    );
  });
});
