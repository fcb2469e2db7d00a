import { fold } from './shared/decider';
import { issueDecider } from './issue/decider';
import type { IssueCreated } from './issue/events';
import { DOMAIN_EVENT_TYPES } from './events';
import type { Upcaster } from './upcasters';
import { CURRENT_SCHEMA_VERSION, currentSchemaVersion, issueCreatedV0, upcast } from './upcasters';

/** Exactly as a version-0 IssueCreated sits in the log. */
const STORED_V0 = `{
  "id": "issue-7", "project": "project-apollo", "org": "org-acme",
  "title": "Fix the launch pad", "body": "Cracked", "status": "blocked", "priority": "high",
  "due": "2025-04-01", "assignee": "user-max", "author": "user-olivia"
}`;

describe('upcasting', () => {
  it('every event type has a version: 1, but 2 for the events that gained labels or a key', () => {
    expect(Object.keys(CURRENT_SCHEMA_VERSION).sort()).toEqual([...DOMAIN_EVENT_TYPES].sort());
    const second = Object.entries(CURRENT_SCHEMA_VERSION).filter(([, version]) => version !== 1);
    expect(second.sort()).toEqual([
      ['IssueCreated', 2],
      ['IssueRestored', 2],
      ['ProjectCreated', 2],
    ]);
  });

  it('a stored version-1 ProjectCreated gets the key its name suggests', () => {
    const stored = '{"projectId":"p","organizationId":"o","name":"Team Tracker","description":""}';
    expect(upcast({ type: 'ProjectCreated', schemaVersion: 1, data: JSON.parse(stored) })).toEqual({
      type: 'ProjectCreated',
      data: { projectId: 'p', organizationId: 'o', name: 'Team Tracker', description: '', key: 'TT' },
    });
    expect(() => upcast({ type: 'ProjectCreated', schemaVersion: 1, data: { name: 7 } })).toThrow(/'name'/);
  });

  it('a stored version-1 IssueRestored has no labels', () => {
    const data = { ...(issueCreatedV0.upcast(JSON.parse(STORED_V0)).data as object) };
    expect(upcast({ type: 'IssueRestored', schemaVersion: 1, data })).toEqual({
      type: 'IssueRestored',
      data: { ...data, labelIds: [] },
    });
  });

  it('a stored version-0 IssueCreated is read as the current IssueCreated', () => {
    const event = upcast({ type: 'IssueCreated', schemaVersion: 0, data: JSON.parse(STORED_V0) });
    expect(event).toEqual({
      type: 'IssueCreated',
      data: {
        issueId: 'issue-7',
        projectId: 'project-apollo',
        organizationId: 'org-acme',
        title: 'Fix the launch pad',
        description: 'Cracked',
        status: 'blocked',
        priority: 'high',
        dueDate: '2025-04-01',
        assigneeId: 'user-max',
        createdBy: 'user-olivia',
        labelIds: [],
      },
    });
    const issue = fold(issueDecider, [event as IssueCreated]);
    expect(issue).toMatchObject({ exists: true, title: 'Fix the launch pad', assigneeId: 'user-max' });
  });

  it('a version-0 IssueCreated with absent optional fields gets the current defaults', () => {
    const stored = { id: 'i', project: 'p', org: 'o', title: 't', body: null, author: 'a' };
    expect(issueCreatedV0.upcast(stored).data).toEqual({
      issueId: 'i',
      projectId: 'p',
      organizationId: 'o',
      title: 't',
      description: '',
      status: 'open',
      priority: 'medium',
      dueDate: null,
      assigneeId: null,
      createdBy: 'a',
    });
  });

  it('a corrupt version-0 payload fails loudly, naming the field', () => {
    expect(() => issueCreatedV0.upcast({ id: 7 })).toThrow(/'id'/);
    expect(() => issueCreatedV0.upcast('not an object')).toThrow(/payload/);
    expect(() => issueCreatedV0.upcast({ ...JSON.parse(STORED_V0), status: 'closed' })).toThrow(/'status'/);
  });

  it('an event at the current version passes through untouched', () => {
    const data = { issueId: 'i' };
    expect(upcast({ type: 'IssueDeleted', schemaVersion: 1, data })).toEqual({ type: 'IssueDeleted', data });
  });

  it('a missing step, or a version newer than the code, is refused', () => {
    expect(() => upcast({ type: 'IssueDeleted', schemaVersion: 0, data: {} })).toThrow(/no upcaster/);
    expect(() => upcast({ type: 'IssueCreated', schemaVersion: 3, data: {} })).toThrow(/newer/);
    expect(() => upcast({ type: 'IssueCreated', schemaVersion: -1, data: {} })).toThrow(/schema version/);
  });

  it('steps are chained one version at a time, and may rename the type', () => {
    const steps: Upcaster[] = [
      { type: 'UserSignedUp', fromSchemaVersion: 0, upcast: (data) => ({ type: 'UserRegistered', data }) },
    ];
    expect(upcast({ type: 'UserSignedUp', schemaVersion: 0, data: { a: 1 } }, steps)).toEqual({
      type: 'UserRegistered',
      data: { a: 1 },
    });
    expect(currentSchemaVersion('SomethingElse')).toBe(1);
  });
});
