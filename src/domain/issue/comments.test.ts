import { fold } from '../shared/decider';
import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import {
  asManager,
  asOtherMember,
  asOutsider,
  asOwner,
  assigned,
  deleted,
  given,
  issueCommand,
  issueCreated,
} from '../../../test/support/domain/issue';
import { ISSUE, MANAGER, MEMBER, ORG, OTHER_MEMBER, OWNER, PROJECT } from '../../../test/support/domain/ids';
import type {
  CommentAdded,
  CommentDeleted,
  CommentEdited,
  IssueEvent,
  IssueUnwatched,
  IssueWatched,
} from './events';
import { issueDecider } from './decider';
import { mentionedUsernames } from './fields';
import { watchersOf } from './watching';

const ref = { issueId: ISSUE, projectId: PROJECT, organizationId: ORG };
const C1 = 'comment-1';

const commentAdded = (
  body = 'Looks good',
  authorId = MEMBER,
  mentionedIds: string[] = [],
  commentId = C1,
): CommentAdded => ({ type: 'CommentAdded', data: { ...ref, commentId, authorId, body, mentionedIds } });
const commentEdited = (
  body: string,
  previousBody: string,
  mentionedIds: string[] = [],
  previousMentionedIds: string[] = [],
): CommentEdited => ({
  type: 'CommentEdited',
  data: { ...ref, commentId: C1, body, previousBody, mentionedIds, previousMentionedIds },
});
const commentDeleted = (authorId = MEMBER): CommentDeleted => ({
  type: 'CommentDeleted',
  data: { ...ref, commentId: C1, authorId },
});
const watched = (userId: string): IssueWatched => ({ type: 'IssueWatched', data: { ...ref, userId } });
const unwatched = (userId: string): IssueUnwatched => ({ type: 'IssueUnwatched', data: { ...ref, userId } });

const add = (
  body: string,
  mentionedIds: string[] = [],
  by = undefined as Parameters<typeof issueCommand>[2],
) => issueCommand('AddComment', { commentId: C1, body, mentionedIds }, by);

describe('comments on an issue', () => {
  it('a member comments: the body trimmed, each mentioned member once, in order', () => {
    given([issueCreated()])
      .when(add('  Ask @nina and @olivia, @nina  ', [OTHER_MEMBER, OWNER, OTHER_MEMBER]))
      .then([commentAdded('Ask @nina and @olivia, @nina', MEMBER, [OTHER_MEMBER, OWNER])]);
  });

  it('an empty, blank or too long body is refused on body', () => {
    for (const body of ['', '   ', 'x'.repeat(10_001)]) {
      const error = given([issueCreated()]).when(add(body)).thenThrows(ValidationError);
      expect(error.errors.map((e) => e.path)).toEqual(['body']);
    }
    given([issueCreated()])
      .when(add('x'.repeat(10_000)))
      .then([commentAdded('x'.repeat(10_000))]);
  });

  it('a comment on a deleted or unknown issue is refused as not found; an outsider never learns of the issue', () => {
    given([issueCreated(), deleted()]).when(add('late')).thenThrows(NotFoundError);
    given([]).when(add('nothing here')).thenThrows(NotFoundError);
    given([issueCreated()])
      .when(add('hi', [], asOutsider))
      .thenThrows(NotFoundError);
  });

  it('the same comment id twice is refused', () => {
    given([issueCreated(), commentAdded()]).when(add('again')).thenThrows(IllegalStateError);
  });

  it('its author edits it: the new body with the previous one and both sets of mentions', () => {
    given([issueCreated(), commentAdded('v1 @nina', MEMBER, [OTHER_MEMBER])])
      .when(issueCommand('EditComment', { commentId: C1, body: 'v2 @olivia', mentionedIds: [OWNER] }))
      .then([commentEdited('v2 @olivia', 'v1 @nina', [OWNER], [OTHER_MEMBER])]);
  });

  it('an edit to the same body changes nothing; editing a deleted or unknown comment is not found', () => {
    given([issueCreated(), commentAdded('same')])
      .when(issueCommand('EditComment', { commentId: C1, body: ' same ', mentionedIds: [] }))
      .then([]);
    given([issueCreated(), commentAdded(), commentDeleted()])
      .when(issueCommand('EditComment', { commentId: C1, body: 'x', mentionedIds: [] }))
      .thenThrows(NotFoundError);
    given([issueCreated()])
      .when(issueCommand('EditComment', { commentId: 'nope', body: 'x', mentionedIds: [] }))
      .thenThrows(NotFoundError);
  });

  it('an edit by anyone but its author is refused with 403, an owner included', () => {
    for (const by of [asOwner, asManager, asOtherMember])
      given([issueCreated(), commentAdded()])
        .when(issueCommand('EditComment', { commentId: C1, body: 'mine now', mentionedIds: [] }, by))
        .thenThrows(ForbiddenError);
  });

  it('its author, an owner or a manager deletes it; another member is refused with 403', () => {
    given([issueCreated(), commentAdded()])
      .when(issueCommand('DeleteComment', { commentId: C1 }))
      .then([commentDeleted()]);
    for (const by of [asOwner, asManager])
      given([issueCreated(), commentAdded()])
        .when(issueCommand('DeleteComment', { commentId: C1 }, by))
        .then([commentDeleted()]);
    given([issueCreated(), commentAdded()])
      .when(issueCommand('DeleteComment', { commentId: C1 }, asOtherMember))
      .thenThrows(ForbiddenError);
    given([issueCreated(), commentAdded(), commentDeleted()])
      .when(issueCommand('DeleteComment', { commentId: C1 }))
      .thenThrows(NotFoundError);
  });

  it('comments survive the deletion and restore of their issue', () => {
    const state = fold(issueDecider, [
      issueCreated(),
      commentAdded(),
      deleted(),
      { type: 'IssueRestored' as const, data: { ...issueCreated().data } },
    ]);
    expect([...state.comments.keys()]).toEqual([C1]);
  });
});

describe('watching an issue', () => {
  const watchers = (events: readonly IssueEvent[]) => watchersOf(fold(issueDecider, events).watch).sort();

  it('its creator, each assignee when assigned and each commenter watch automatically', () => {
    expect(
      watchers([
        issueCreated({ assigneeId: OTHER_MEMBER }),
        assigned(MANAGER, OTHER_MEMBER),
        commentAdded('hi', OWNER),
      ]),
    ).toEqual([MANAGER, MEMBER, OTHER_MEMBER, OWNER].sort());
  });

  it('an explicit unwatch wins over later automatic watches until they watch again', () => {
    expect(
      watchers([issueCreated(), unwatched(MEMBER), commentAdded('still here', MEMBER), assigned(MEMBER)]),
    ).toEqual([]);
    expect(watchers([issueCreated(), unwatched(MEMBER), watched(MEMBER)])).toEqual([MEMBER]);
    expect(watchers([issueCreated(), unwatched(OWNER), assigned(OWNER)])).toEqual([MEMBER]);
  });

  it('a member watches and unwatches; doing either twice changes nothing', () => {
    given([issueCreated()])
      .when(issueCommand('WatchIssue', {}, asOwner))
      .then([watched(OWNER)]);
    given([issueCreated()]).when(issueCommand('WatchIssue', {})).then([]);
    given([issueCreated()])
      .when(issueCommand('UnwatchIssue', {}))
      .then([unwatched(MEMBER)]);
    given([issueCreated(), unwatched(MEMBER)])
      .when(issueCommand('UnwatchIssue', {}))
      .then([]);
    // Unwatching before ever watching is recorded: it keeps later automatic watches away.
    given([issueCreated()])
      .when(issueCommand('UnwatchIssue', {}, asOwner))
      .then([unwatched(OWNER)]);
  });

  it('an outsider, or anyone on a deleted issue, is refused as not found', () => {
    given([issueCreated()])
      .when(issueCommand('WatchIssue', {}, asOutsider))
      .thenThrows(NotFoundError);
    given([issueCreated(), deleted()]).when(issueCommand('UnwatchIssue', {})).thenThrows(NotFoundError);
  });
});

describe('mentions in a comment body', () => {
  it('finds each @username once, in order, without trailing punctuation; an email address mentions nobody', () => {
    expect(mentionedUsernames('@ann, ask @bob.smith. Mail x@corp.com or @ann again @c-d-')).toEqual([
      'ann',
      'bob.smith',
      'c-d',
    ]);
    expect(mentionedUsernames('no mentions @ here')).toEqual([]);
  });
});
