/** The one error taxonomy. The API maps each to a problem+json status; nothing here knows HTTP. */

export interface FieldError {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: 'validation' | 'not_found' | 'forbidden' | 'illegal_state' | 'concurrency';
}

/** Input that can never be valid (400). */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly code = 'validation' as const;
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  }
  static field(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

/** Unknown, or not visible to the actor (404): never reveal that another organization's object exists. */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found' as const;
}

/** A member whose role does not allow the action (403). */
export class ForbiddenError extends DomainError {
  override readonly name = 'ForbiddenError';
  readonly code = 'forbidden' as const;
}

/** The command contradicts the current state (409). */
export class IllegalStateError extends DomainError {
  override readonly name = 'IllegalStateError';
  readonly code = 'illegal_state' as const;
}

/** The stream moved past the revision the caller expected (412 with If-Match). */
export class ConcurrencyError extends DomainError {
  override readonly name = 'ConcurrencyError';
  readonly code = 'concurrency' as const;
  constructor(
    readonly streamId: string,
    readonly expectedRevision: number,
    readonly actualRevision: number | null,
  ) {
    super(`${streamId} is at revision ${String(actualRevision)}, not ${expectedRevision}`);
  }
}
