import { ValidationError } from '../../domain/shared/errors';

/**
 * The domain's field names that the API spells otherwise (API.md's names): the one table between the two. A name
 * not listed is the same on both sides (`title`, `name`, `role`, …).
 */
const WIRE_NAMES: ReadonlyMap<string, string> = new Map([
  ['dueDate', 'due_date'],
  ['assigneeId', 'assigned_to_id'],
  ['userId', 'user_id'],
  ['labelIds', 'label_ids'],
]);

export const wireName = (field: string): string => WIRE_NAMES.get(field) ?? field;

/** A refusal from the command side, its fields named as the client sent them; any other error as it is. */
export const inWireNames = (error: unknown): unknown =>
  error instanceof ValidationError
    ? new ValidationError(error.errors.map((e) => ({ ...e, path: wireName(e.path) })))
    : error;
