import type { AttachmentAdded } from '../../domain';
import type { RecordedEvent } from '../../eventstore/port';
import { isoTime } from '../shared/sql';

/** `{ id, filename, content_type, size, sha256, uploaded_by, uploaded_at, url }`: an attachment as answers show it. */
export interface AttachmentView {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  uploaded_by: string;
  uploaded_at: string;
  /**
   * The content's path, `/api/v1/attachments/{id}/content/`; the API makes it absolute (with the address the
   * request came to). Realtime messages carry the path.
   */
  url: string;
}

export const attachmentContentPath = (id: string): string => `/api/v1/attachments/${id}/content/`;

/** An attachment as the read model keeps it. */
export interface AttachmentRecord {
  id: string;
  issueId: string;
  projectId: string;
  organizationId: string;
  filename: string;
  contentType: string;
  detectedType: string | null;
  declaredType: string | null;
  size: number;
  sha256: string;
  storageKey: string;
  uploadedBy: string;
  uploadedAt: string;
  removedAt: string | null;
  revision: number;
}

export const addedAttachment = ({ data }: AttachmentAdded, recorded: RecordedEvent): AttachmentRecord => ({
  id: data.attachmentId,
  issueId: data.issueId,
  projectId: data.projectId,
  organizationId: data.organizationId,
  filename: data.filename,
  contentType: data.contentType,
  detectedType: data.detectedType,
  declaredType: data.declaredType,
  size: data.size,
  sha256: data.sha256,
  storageKey: data.storageKey,
  uploadedBy: data.uploadedBy,
  uploadedAt: isoTime(recorded.metadata.occurredAt),
  removedAt: null,
  revision: recorded.revision,
});

export const attachmentView = (a: AttachmentRecord): AttachmentView => ({
  id: a.id,
  filename: a.filename,
  content_type: a.contentType,
  size: a.size,
  sha256: a.sha256,
  uploaded_by: a.uploadedBy,
  uploaded_at: a.uploadedAt,
  url: attachmentContentPath(a.id),
});
