import type { FieldError } from './errors';
import { ValidationError } from './errors';

/** The outcome of checking one field: its normalized value, or why it is refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export const accept = <T>(value: T): Checked<T> => ({ ok: true, value });
export const refuse = (message: string): Checked<never> => ({ ok: false, message });

type Values<T> = { [K in keyof T]: T[K] extends Checked<infer V> ? V : never };

/**
 * Every field's normalized value, or one ValidationError naming every refused field at once.
 * The keys are the paths the error names: the command's own field names (the API maps them to its wire names).
 */
export const validated = <T extends Record<string, Checked<unknown>>>(checks: T): Values<T> => {
  const errors: FieldError[] = [];
  const values: Record<string, unknown> = {};
  for (const [path, checked] of Object.entries(checks)) {
    if (checked.ok) values[path] = checked.value;
    else errors.push({ path, message: checked.message });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return values as Values<T>;
};

/** `undefined` means "not given": it passes unchecked and stays `undefined`. */
export const ifGiven = <T>(value: unknown, check: (value: unknown) => Checked<T>): Checked<T | undefined> =>
  value === undefined ? accept(undefined) : check(value);

/** `undefined` means "not given": it becomes the default. */
export const orDefault = <T>(
  value: unknown,
  fallback: T,
  check: (value: unknown) => Checked<T>,
): Checked<T> => (value === undefined ? accept(fallback) : check(value));

/** Characters as people and PostgreSQL count them (code points), so an emoji is one, not two. */
const exceeds = (text: string, max: number): boolean => text.length > max && [...text].length > max;

/** Trimmed, then 1 to `max` characters. */
export const trimmedText =
  (max: number) =>
  (value: unknown): Checked<string> => {
    if (typeof value !== 'string') return refuse('must be a string');
    const text = value.trim();
    return text.length === 0 || exceeds(text, max)
      ? refuse(`must be 1 to ${max} characters after trimming`)
      : accept(text);
  };

/** Kept as written (whitespace may be meaningful), possibly empty, at most `max` characters. */
export const boundedText =
  (max: number) =>
  (value: unknown): Checked<string> => {
    if (typeof value !== 'string') return refuse('must be a string');
    return exceeds(value, max) ? refuse(`must be at most ${max} characters`) : accept(value);
  };

export const isOneOf = <T extends string>(value: unknown, allowed: readonly T[]): value is T =>
  typeof value === 'string' && (allowed as readonly string[]).includes(value);

export const oneOf =
  <T extends string>(allowed: readonly T[]) =>
  (value: unknown): Checked<T> =>
    isOneOf(value, allowed) ? accept(value) : refuse(`must be one of ${allowed.join(', ')}`);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const daysInMonth = (year: number, month: number): number => {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
};

/** A real calendar date written `YYYY-MM-DD` (year 0001 to 9999), or null for "none". */
export const calendarDateOrNull = (value: unknown): Checked<string | null> => {
  if (value === null) return accept(null);
  const format = 'must be a date written YYYY-MM-DD, or null';
  if (typeof value !== 'string') return refuse(format);
  const match = DATE.exec(value);
  if (match === null) return refuse(format);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const real = year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  return real ? accept(value) : refuse('must be a real calendar date');
};
