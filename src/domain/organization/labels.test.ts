import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import { fold } from '../shared/decider';
import { MEMBER, OWNER } from '../../../test/support/domain/ids';
import {
  acme,
  createLabel,
  deleteLabel,
  given,
  labelCreated,
  labelDeleted,
  labelUpdated,
  updateLabel,
} from '../../../test/support/domain/organization';
import { organizationDecider } from './decider';

const bug = labelCreated('l-bug', 'Bug', '#ff0000');

describe('CreateLabel', () => {
  it('a manager creates a label; the name is trimmed, the colour kept in lower case', () => {
    given(acme)
      .when(createLabel('l-bug', { name: ' Bug ', color: '#FF0000' }))
      .then([bug]);
  });

  it('an owner creates a label', () => {
    given(acme)
      .when(createLabel('l-bug', { name: 'Bug', color: '#ff0000' }, OWNER))
      .then([bug]);
  });

  it('a name the organization has, in any case, is refused with IllegalStateError', () => {
    given([...acme, bug])
      .when(createLabel('l-2', { name: 'BUG', color: '#00ff00' }))
      .thenThrows(IllegalStateError, /named BUG/);
  });

  it('the name of a deleted label may be used again', () => {
    given([...acme, bug, labelDeleted('l-bug', 'Bug')])
      .when(createLabel('l-2', { name: 'bug', color: '#00ff00' }))
      .then([labelCreated('l-2', 'bug', '#00ff00')]);
  });

  it('a bad name and a bad colour are refused together', () => {
    const error = given(acme)
      .when(createLabel('l-1', { name: 'x'.repeat(51), color: 'red' }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name', 'color']);
  });

  it('a member is refused with ForbiddenError, a non-member with NotFoundError', () => {
    given(acme)
      .when(createLabel('l-1', { name: 'Bug', color: '#ff0000' }, MEMBER))
      .thenThrows(ForbiddenError);
    given(acme)
      .when(createLabel('l-1', { name: 'Bug', color: '#ff0000' }, 'user-stranger'))
      .thenThrows(NotFoundError);
  });
});

describe('UpdateLabel', () => {
  it('renames and recolours, naming only what changed', () => {
    given([...acme, bug])
      .when(updateLabel('l-bug', { name: 'Defect', color: '#FF0000' }))
      .then([labelUpdated('l-bug', { name: { from: 'Bug', to: 'Defect' } })]);
    given([...acme, bug])
      .when(updateLabel('l-bug', { color: '#00FF00' }))
      .then([labelUpdated('l-bug', { color: { from: '#ff0000', to: '#00ff00' } })]);
  });

  it('changing the case of its own name is a rename; nothing to change emits nothing', () => {
    given([...acme, bug])
      .when(updateLabel('l-bug', { name: 'BUG' }))
      .then([labelUpdated('l-bug', { name: { from: 'Bug', to: 'BUG' } })]);
    given([...acme, bug])
      .when(updateLabel('l-bug', { name: 'Bug', color: '#ff0000' }))
      .then([]);
  });

  it("taking another label's name is refused with IllegalStateError", () => {
    given([...acme, bug, labelCreated('l-2', 'Feature')])
      .when(updateLabel('l-2', { name: 'bug' }))
      .thenThrows(IllegalStateError);
  });

  it('an unknown or deleted label is NotFoundError, even for a member; a member is Forbidden', () => {
    given([...acme, bug, labelDeleted('l-bug', 'Bug')])
      .when(updateLabel('l-bug', { name: 'X' }))
      .thenThrows(NotFoundError);
    given(acme)
      .when(updateLabel('nope', { name: 'X' }, MEMBER))
      .thenThrows(NotFoundError);
    given([...acme, bug])
      .when(updateLabel('l-bug', { name: 'X' }, MEMBER))
      .thenThrows(ForbiddenError);
  });
});

describe('DeleteLabel', () => {
  it('deletes a label, recording what it was', () => {
    given([...acme, bug, labelUpdated('l-bug', { name: { from: 'Bug', to: 'Defect' } })])
      .when(deleteLabel('l-bug'))
      .then([labelDeleted('l-bug', 'Defect')]);
  });

  it('a deleted label cannot be deleted again; a member may not delete', () => {
    given([...acme, bug, labelDeleted('l-bug', 'Bug')])
      .when(deleteLabel('l-bug'))
      .thenThrows(NotFoundError);
    given([...acme, bug])
      .when(deleteLabel('l-bug', MEMBER))
      .thenThrows(ForbiddenError);
  });

  it('folds labels: created, renamed, deleted', () => {
    const state = fold(organizationDecider, [
      ...acme,
      bug,
      labelCreated('l-2', 'Feature', '#00ff00'),
      labelUpdated('l-bug', {
        name: { from: 'Bug', to: 'Defect' },
        color: { from: '#ff0000', to: '#000000' },
      }),
      labelDeleted('l-2', 'Feature', '#00ff00'),
    ]);
    expect([...state.labels.values()]).toEqual([{ labelId: 'l-bug', name: 'Defect', color: '#000000' }]);
  });
});
