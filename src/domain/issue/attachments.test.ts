import type { AttachmentAdded, AttachmentRemoved } from './events';
import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../shared/errors';
import {
  asCreator,
  asManager,
  asOtherMember,
  asOutsider,
  asOwner,
  deleted,
  given,
  issueCommand,
  issueCreated,
} from '../../../test/support/domain/issue';
import { ISSUE, MEMBER, ORG, OTHER_MEMBER, PROJECT } from '../../../test/support/domain/ids';
import { attachmentStorageKey } from './attachments';

const SHA = 'a'.repeat(64);
const ref = { issueId: ISSUE, projectId: PROJECT, organizationId: ORG };
const file = {
  attachmentId: 'att-1',
  filename: 'plan.pdf',
  contentType: 'application/pdf',
  detectedType: 'application/pdf',
  declaredType: 'application/pdf',
  size: 1234,
  sha256: SHA,
  storageKey: attachmentStorageKey(SHA),
};
const added = (uploadedBy = MEMBER, overrides: Partial<AttachmentAdded['data']> = {}): AttachmentAdded => ({
  type: 'AttachmentAdded',
  data: { ...ref, ...file, uploadedBy, ...overrides },
});
const removed = (): AttachmentRemoved => ({
  type: 'AttachmentRemoved',
  data: { ...ref, attachmentId: 'att-1', filename: 'plan.pdf', storageKey: attachmentStorageKey(SHA) },
});

describe('issue attachments', () => {
  it('a member attaches a file: the event records its metadata and uploader, never its bytes', () => {
    given([issueCreated()])
      .when(issueCommand('AddAttachment', file, asOtherMember))
      .then([added(OTHER_MEMBER)]);
  });

  it('the same attachment added again (a retried request) changes nothing', () => {
    given([issueCreated(), added()]).when(issueCommand('AddAttachment', file)).then([]);
  });

  it('an attachment id reused for other content is refused', () => {
    const other = 'b'.repeat(64);
    given([issueCreated(), added()])
      .when(
        issueCommand('AddAttachment', { ...file, sha256: other, storageKey: attachmentStorageKey(other) }),
      )
      .thenThrows(IllegalStateError);
  });

  it('a non-member, a deleted issue and an unknown issue all look like no issue', () => {
    given([issueCreated()])
      .when(issueCommand('AddAttachment', file, asOutsider))
      .thenThrows(NotFoundError);
    given([issueCreated(), deleted()]).when(issueCommand('AddAttachment', file)).thenThrows(NotFoundError);
    given([]).when(issueCommand('AddAttachment', file)).thenThrows(NotFoundError);
  });

  it('refuses a bad name, media type, size or digest, naming each field', () => {
    const error = given([issueCreated()])
      .when(
        issueCommand('AddAttachment', {
          ...file,
          filename: 'a/b\u0000',
          contentType: 'pdf',
          size: -1,
          sha256: 'XYZ',
          storageKey: 'sha256/XYZ',
        }),
      )
      .thenThrows(ValidationError);
    expect(error.errors.map((e) => e.path)).toEqual(['filename', 'contentType', 'size', 'sha256']);
  });

  it('a storage key that is not the content’s is refused', () => {
    given([issueCreated()])
      .when(issueCommand('AddAttachment', { ...file, storageKey: 'elsewhere' }))
      .thenThrows(IllegalStateError);
  });

  it('its uploader, an owner or a manager removes it; another member may not', () => {
    for (const by of [asCreator, asOwner, asManager]) {
      given([issueCreated(), added()])
        .when(issueCommand('RemoveAttachment', { attachmentId: 'att-1' }, by))
        .then([removed()]);
    }
    given([issueCreated(), added()])
      .when(issueCommand('RemoveAttachment', { attachmentId: 'att-1' }, asOtherMember))
      .thenThrows(ForbiddenError);
  });

  it('a removed or unknown attachment is not found', () => {
    given([issueCreated(), added(), removed()])
      .when(issueCommand('RemoveAttachment', { attachmentId: 'att-1' }))
      .thenThrows(NotFoundError);
    given([issueCreated()])
      .when(issueCommand('RemoveAttachment', { attachmentId: 'nope' }, asOwner))
      .thenThrows(NotFoundError);
  });

  it('attachments survive the deletion and restoration of their issue', () => {
    given([
      issueCreated(),
      added(OTHER_MEMBER),
      deleted(),
      { type: 'IssueRestored', data: issueCreated().data },
    ])
      .when(issueCommand('RemoveAttachment', { attachmentId: 'att-1' }, asOtherMember))
      .then([removed()]);
  });

  it('a restoration does not carry the attachments in its event', () => {
    given([issueCreated(), added(), deleted()])
      .when(issueCommand('RestoreIssue', {}, asOwner))
      .then([{ type: 'IssueRestored', data: issueCreated().data }]);
  });
});
