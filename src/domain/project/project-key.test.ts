import { ForbiddenError, ValidationError } from '../shared/errors';
import { createProject, given, projectCreated, updateProject } from '../../../test/support/domain/project';
import { deriveProjectKey, issueKey, numberedKey, parseIssueKey, projectKeyCheck } from './key';

describe('project keys', () => {
  it.each([
    ['Team Tracker', 'TT'],
    ['Apollo', 'APOLLO'],
    ['web', 'WEB'],
    ['Développement', 'DEVELOPPEM'],
    ['the big launch of 2025', 'TBLO2'],
    ['X', 'XP'],
    ['🚀 !!!', 'PROJ'],
    ['a-b c_d', 'ABCD'],
  ])('%j suggests the key %s', (name, key) => {
    expect(deriveProjectKey(name)).toBe(key);
    expect(projectKeyCheck(key)).toEqual({ ok: true, value: key });
  });

  it('numbers a taken key, staying within ten characters', () => {
    expect(numberedKey('WEB', 1)).toBe('WEB');
    expect(numberedKey('WEB', 2)).toBe('WEB2');
    expect(numberedKey('ABCDEFGHIJ', 2)).toBe('ABCDEFGHI2');
    expect(numberedKey('ABCDEFGHIJ', 12)).toBe('ABCDEFGH12');
  });

  it('takes a key in any case and with spaces around, and refuses anything else', () => {
    expect(projectKeyCheck(' web2 ')).toEqual({ ok: true, value: 'WEB2' });
    for (const bad of ['W', 'ABCDEFGHIJK', 'WE B', 'WEB-1', 'ÉTÉ', '', 12])
      expect(projectKeyCheck(bad).ok).toBe(false);
  });

  it('reads issue keys in any case, and nothing that is not one', () => {
    expect(issueKey('WEB', 12)).toBe('WEB-12');
    expect(parseIssueKey('web-12')).toEqual({ projectKey: 'WEB', number: 12 });
    for (const bad of ['WEB-0', 'WEB-012', 'WEB12', 'W-1', 'WEB-', '-1', 'WEB-99999999999', 'WEB-1-2', null])
      expect(parseIssueKey(bad)).toBeNull();
  });
});

describe('CreateProject and UpdateProject with keys', () => {
  it('records the key it is given, in capitals', () => {
    given([])
      .when(createProject({ name: 'Apollo', description: 'To the moon', key: 'moon' }))
      .then([projectCreated('Apollo', 'To the moon', 'MOON')]);
  });

  it('derives the key from the name when none is given', () => {
    given([])
      .when(createProject({ name: 'Lunar Module' }))
      .then([projectCreated('Lunar Module', '', 'LM')]);
  });

  it('a bad key is refused with the bad name, together; a member learns nothing of either', () => {
    const error = given([])
      .when(createProject({ name: ' ', key: 'no way' }))
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['name', 'key']);
    given([])
      .when(createProject({ name: ' ', key: 'no way' }, 'member'))
      .thenThrows(ForbiddenError);
  });

  it('a key sent back unchanged (or null) changes nothing; another key is refused on key', () => {
    given([projectCreated()])
      .when(updateProject({ key: 'apollo' }))
      .then([]);
    given([projectCreated()])
      .when(updateProject({ key: null }))
      .then([]);
    const error = given([projectCreated()])
      .when(updateProject({ key: 'ARTEMIS', name: 'Artemis' }))
      .thenThrows(ValidationError, /fixed/);
    expect(error.errors.map((e) => e.path)).toEqual(['key']);
  });
});
