import type { z } from 'zod';
import { type FieldError, ValidationError } from '../domain/shared/errors';

/** A UTF-16 surrogate without its pair: no UTF-8 text, so no PostgreSQL text or jsonb, can hold it. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** PostgreSQL's text and jsonb refuse NUL too. */
const isUnstorable = (text: string): boolean => text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);

/** The paths of the strings in a parsed input that could not be stored, so they are refused here, not by PostgreSQL. */
const unstorable = (value: unknown, path: string[], found: FieldError[]): void => {
  if (typeof value === 'string') {
    if (isUnstorable(value))
      found.push({ path: path.join('.'), message: 'must not contain NUL characters or unpaired surrogates' });
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) unstorable(item, [...path, String(i)], found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) unstorable(item, [...path, key], found);
  }
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * UUIDs are case-insensitive, but stream names are not: every UUID a client sends (ids, `project`,
 * `assigned_to_id`, …) is written in lower case before it goes further. Free text is left as it is.
 */
const ID_FIELDS = new Set(['id', 'user_id', 'project', 'organization', 'assigned_to_id', 'assigned_to']);

const lowerUuids = <T>(value: T): T => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value).map(([key, item]) => [
    key,
    ID_FIELDS.has(key) && typeof item === 'string' && UUID.test(item) ? item.toLowerCase() : item,
  ]);
  return Object.fromEntries(entries) as T;
};

/** Parses with zod; a failure is a ValidationError whose paths name the fields (`title`, `limit`, `id`). */
export const parseInput = <S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'path' | 'header',
): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) {
    const found: FieldError[] = [];
    unstorable(result.data, [], found);
    if (found.length > 0) throw new ValidationError(found.map((e) => ({ ...e, path: e.path || where })));
    return lowerUuids(result.data);
  }
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: issue.path.length > 0 ? issue.path.map(String).join('.') : where,
      message: issue.message,
    })),
  );
};
