import { canManage, visibleTo } from '../shared/access';
import { ForbiddenError, IllegalStateError, NotFoundError } from '../shared/errors';
import type { Checked } from '../shared/validation';
import { accept, refuse, validated } from '../shared/validation';
import type { AddAttachment, RemoveAttachment } from './commands';
import type { IssueEvent } from './events';
import type { Issue } from './state';

export const ATTACHMENT_FILENAME_MAX = 255;
/** How many live attachments one issue may have: a bound on what one issue view costs. */
export const ISSUE_ATTACHMENTS_MAX = 100;

/** `sha256/<hex>`: storage keys are the content's digest, so equal files share their bytes. */
export const attachmentStorageKey = (sha256: string): string => `sha256/${sha256}`;

const filenameCheck = (value: unknown): Checked<string> => {
  if (typeof value !== 'string') return refuse('must be a file name');
  const name = value.trim();
  if (name.length === 0 || name.length > ATTACHMENT_FILENAME_MAX)
    return refuse(`must be 1–${ATTACHMENT_FILENAME_MAX} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f/\\]/.test(name)) return refuse('must not hold control characters or slashes');
  return accept(name);
};

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const mediaTypeCheck = (value: unknown): Checked<string> =>
  typeof value === 'string' && MEDIA_TYPE.test(value) ? accept(value) : refuse('must be a media type');
const optionalMediaTypeCheck = (value: unknown): Checked<string | null> =>
  value === null ? accept(null) : mediaTypeCheck(value);
const sha256Check = (value: unknown): Checked<string> =>
  typeof value === 'string' && /^[0-9a-f]{64}$/.test(value) ? accept(value) : refuse('must be a hex sha256');
const sizeCheck = (value: unknown): Checked<number> =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    ? accept(value)
    : refuse('must be a size in bytes');

const requireLiveIssue = (command: AddAttachment | RemoveAttachment, state: Issue) => {
  const role = visibleTo(command.context, 'issue');
  if (!state.exists || state.deleted) throw new NotFoundError('issue not found');
  return role;
};

/** Any member attaches a file to an issue they see; the same attachment added again (a retry) changes nothing. */
export const addAttachment = (command: AddAttachment, state: Issue): IssueEvent[] => {
  requireLiveIssue(command, state);
  const { data } = command;
  const input = validated({
    filename: filenameCheck(data.filename),
    contentType: mediaTypeCheck(data.contentType),
    detectedType: optionalMediaTypeCheck(data.detectedType),
    declaredType: optionalMediaTypeCheck(data.declaredType),
    size: sizeCheck(data.size),
    sha256: sha256Check(data.sha256),
  });
  if (data.storageKey !== attachmentStorageKey(input.sha256))
    throw new IllegalStateError('the storage key must be the content’s');
  const existing = state.attachments[data.attachmentId];
  if (existing !== undefined) {
    if (existing.storageKey === data.storageKey) return [];
    throw new IllegalStateError('attachment already exists');
  }
  if (Object.keys(state.attachments).length >= ISSUE_ATTACHMENTS_MAX)
    throw new IllegalStateError(`an issue may have at most ${ISSUE_ATTACHMENTS_MAX} attachments`);
  const { issueId, projectId, organizationId } = state;
  return [
    {
      type: 'AttachmentAdded',
      data: {
        issueId,
        projectId,
        organizationId,
        attachmentId: data.attachmentId,
        ...input,
        storageKey: data.storageKey,
        uploadedBy: command.metadata.actorId,
      },
    },
  ];
};

/** Its uploader, an owner or a manager removes an attachment; an unknown (or removed) one is not found. */
export const removeAttachment = (command: RemoveAttachment, state: Issue): IssueEvent[] => {
  const role = requireLiveIssue(command, state);
  const attachment = state.attachments[command.data.attachmentId];
  if (attachment === undefined) throw new NotFoundError('attachment not found');
  if (!canManage(role) && attachment.uploadedBy !== command.metadata.actorId)
    throw new ForbiddenError('only its uploader, an owner or a manager may remove an attachment');
  const { issueId, projectId, organizationId } = state;
  return [
    {
      type: 'AttachmentRemoved',
      data: {
        issueId,
        projectId,
        organizationId,
        attachmentId: command.data.attachmentId,
        filename: attachment.filename,
        storageKey: attachment.storageKey,
      },
    },
  ];
};
