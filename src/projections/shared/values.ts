const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** A real calendar date `YYYY-MM-DD` (years 0001–9999), as PostgreSQL's `date` accepts it. */
export const isCalendarDate = (value: unknown): value is string => {
  if (typeof value !== 'string') return false;
  const match = DATE.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
  );
};

/** An ISO 8601 date-time with a zone (`Z` or `±hh:mm`) that denotes a real instant. */
export const isIsoTime = (value: unknown): value is string =>
  typeof value === 'string' &&
  TIME.test(value) &&
  isCalendarDate(value.slice(0, 10)) &&
  !Number.isNaN(Date.parse(value));

/** Text PostgreSQL can store: its text types refuse the NUL character. */
export const isStorableText = (value: unknown): value is string =>
  typeof value === 'string' && !value.includes('\u0000');
