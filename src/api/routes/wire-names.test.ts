import { NotFoundError, ValidationError } from '../../domain/shared/errors';
import { inWireNames, wireName } from './wire-names';

describe('the wire names of domain fields', () => {
  it('names a refusal of the domain fields as API.md does, in its paths and in its message', () => {
    const refused = new ValidationError([
      { path: 'dueDate', message: 'must be a real calendar date' },
      { path: 'assigneeId', message: 'must be a member of the organization' },
      { path: 'title', message: 'must be 1 to 255 characters after trimming' },
    ]);
    const mapped = inWireNames(refused);
    expect(mapped).toBeInstanceOf(ValidationError);
    expect((mapped as ValidationError).errors.map((e) => e.path)).toEqual([
      'due_date',
      'assigned_to_id',
      'title',
    ]);
    expect((mapped as ValidationError).message).toMatch(
      /^due_date: must be a real calendar date; assigned_to_id:/,
    );
  });

  it('leaves other errors, and names that are the same on both sides, as they are', () => {
    const missing = new NotFoundError('issue not found');
    expect(inWireNames(missing)).toBe(missing);
    expect(wireName('userId')).toBe('user_id');
    expect(wireName('username')).toBe('username');
    expect(wireName('constructor')).toBe('constructor');
  });
});
