import type { z } from 'zod';
import { type FieldError, ValidationError } from '../domain/shared/errors';
import { UUID_PATTERN } from '../shared/uuid';

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

/**
 * UUIDs are case-insensitive, but stream names are not: every UUID a client sends (ids, `project`,
 * `assigned_to_id`, …) is written in lower case before it goes further. Free text is left as it is.
 */
const ID_FIELDS = new Set(['id', 'user_id', 'project', 'organization', 'assigned_to_id', 'assigned_to']);

const lowerUuids = <T>(value: T): T => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const entries = Object.entries(value).map(([key, item]) => [
    key,
    ID_FIELDS.has(key) && typeof item === 'string' && UUID_PATTERN.test(item) ? item.toLowerCase() : item,
  ]);
  return Object.fromEntries(entries) as T;
};

/** A field the request needs and did not send is "required", not "expected string, received undefined". */
const messages: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;

const valueAt = (value: unknown, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (at, key) =>
      at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined,
    value,
  );

/** Parses with zod; a failure is a ValidationError whose paths name the fields (`title`, `limit`, `id`). */
export const parseInput = <S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'path' | 'header',
): z.output<S> => {
  const result = schema.safeParse(value, { error: messages });
  if (result.success) {
    const found: FieldError[] = [];
    unstorable(result.data, [], found);
    if (found.length > 0) throw new ValidationError(found.map((e) => ({ ...e, path: e.path || where })));
    return lowerUuids(result.data);
  }
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: issue.path.length > 0 ? issue.path.map(String).join('.') : where,
      // A schema's own message ("must be a UUID") must not hide that nothing was sent at all.
      message:
        issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined
          ? 'required'
          : issue.message,
    })),
  );
};

/**
 * A body field that is neither writable (in the schema) nor a read-only field of the resource (`readOnly`: what a
 * client that round-trips the resource sends back) is refused, naming it: a typo or a wrong name must not be a
 * silent no-op. Read-only fields are dropped before the body is parsed.
 */
export const withoutReadOnly = (
  body: unknown,
  writable: readonly string[],
  readOnly: readonly string[],
): unknown => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const unknown = Object.keys(body).filter((key) => !writable.includes(key) && !readOnly.includes(key));
  if (unknown.length > 0) {
    const hint = `not a field of this request (writable: ${writable.join(', ')})`;
    throw new ValidationError(unknown.map((key) => ({ path: key, message: hint })));
  }
  return Object.fromEntries(Object.entries(body).filter(([key]) => !readOnly.includes(key)));
};
