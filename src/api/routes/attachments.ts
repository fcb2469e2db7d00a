import type { Request, RequestHandler, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { attachmentStorageKey } from '../../domain/issue/attachments';
import { attachmentAccess, listAttachments } from '../../projections/attachments/queries';
import {
  type AttachmentView,
  attachmentContentPath,
  attachmentView,
} from '../../projections/attachments/record';
import { getIssue } from '../../projections/issues/queries';
import type { AttachmentStorage, ByteRange } from '../../storage/port';
import { principal } from '../auth/authenticate';
import { z } from '../openapi';
import { HttpError } from '../problem';
import { type RouteSpec, route } from '../routing';
import { receiveFile } from '../uploads';
import { listRoute } from './reads';
import { idParams, minPosition, orNotFound, pageQuery, type ResourceDeps, runCommand } from './shared';

/** Where attachment bytes go, and how large one may be. */
export interface AttachmentSettings {
  storage: AttachmentStorage;
  /** `ATTACHMENT_MAX_BYTES` (25 MiB by default). */
  maxBytes: number;
}

export type AttachmentDeps = ResourceDeps & { attachments: AttachmentSettings };

export const attachmentSchema = z
  .object({
    id: z.uuid(),
    filename: z.string(),
    content_type: z
      .string()
      .openapi({ description: 'Detected from the bytes; application/octet-stream if unknown' }),
    size: z.number().int(),
    sha256: z.string().openapi({ description: 'Hex SHA-256 of the bytes; the content’s ETag' }),
    uploaded_by: z.uuid(),
    uploaded_at: z.string(),
    url: z.string().openapi({ description: 'Absolute URL of the content' }),
  })
  .openapi('Attachment');

const uploadForm = z
  .object({
    file: z.string().openapi({ type: 'string', format: 'binary', description: 'The file' }),
  })
  .openapi('AttachmentUpload');

const CONTENT_PATH = /"url":"\/api\/v1\/attachments\//g;

/**
 * Attachments' `url` is absolute, with the address the request came to (as `next` links are): the read models keep
 * the path, and JSON answers that carry one get the origin put in front. A JSON string value can hold no bare `"`,
 * so the pattern matches `url` members only.
 */
export const absoluteAttachmentUrls: RequestHandler = (req, res, next) => {
  const json = res.json.bind(res);
  res.json = ((body: unknown) => {
    const text = JSON.stringify(body);
    if (text === undefined) return json(body);
    // Serialized once either way (every JSON answer passes here: lists too).
    if (!res.get('Content-Type')) res.type('application/json');
    if (!CONTENT_PATH.test(text)) return res.send(text);
    CONTENT_PATH.lastIndex = 0;
    const origin = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return res.send(text.replace(CONTENT_PATH, `"url":"${origin}/api/v1/attachments/`));
  }) as typeof res.json;
  next();
};

/** `attachment; filename="…"` with an ASCII stand-in, and `filename*` (RFC 5987) for the exact UTF-8 name. */
export const contentDisposition = (filename: string): string => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return ascii === filename
    ? `attachment; filename="${ascii}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
};

/** Whether `If-None-Match` names this ETag (or `*`); weak validators compare equal for a GET. */
const noneMatch = (header: string | undefined, tag: string): boolean =>
  (header ?? '').split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === tag;
  });

/**
 * One `bytes=` range of a file of `size` bytes: the range, `'unsatisfiable'` (416), or null to send the whole file
 * (no header, another unit, several ranges, or a header that cannot be read: RFC 9110 lets a server ignore those).
 */
export const parseRange = (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null => {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
};

/** The attachment as the read models have it, for its viewer; 404 when gone or not theirs to see. */
const attachmentOf = async (deps: AttachmentDeps, id: string, viewerId: string) =>
  orNotFound(await attachmentAccess(deps.db, id, viewerId), 'attachment');

const uploadRoute = (deps: AttachmentDeps, path: string, summary: string) =>
  route({
    method: 'post',
    path,
    summary,
    tag: 'attachments',
    auth: true,
    params: idParams,
    multipart: uploadForm,
    responses: {
      201: { description: 'Attached', schema: attachmentSchema },
      413: { description: 'The file is larger than the limit (errors name `file`)' },
    },
    async handler({ params, req, res }) {
      const viewerId = principal(req).id;
      // A non-member learns nothing, and nothing they send is stored.
      if ((await getIssue(deps.db, params.id, viewerId)) === null) {
        req.resume();
        throw new HttpError(404, 'Not found', 'issue not found');
      }
      const file = await receiveFile(req, deps.attachments.storage, deps.attachments.maxBytes);
      const storageKey = attachmentStorageKey(file.sha256);
      try {
        await file.staged.commit(storageKey);
      } catch (error) {
        await file.staged.discard().catch(() => undefined);
        throw error;
      }
      // Committed bytes whose command then fails are orphans: the cleanup job removes them (they may be shared).
      await runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.addAttachment(context, {
            issueId: params.id,
            filename: file.filename,
            contentType: file.contentType,
            detectedType: file.detectedType,
            declaredType: file.declaredType,
            size: file.size,
            sha256: file.sha256,
            storageKey,
          }),
        ({ attachmentId }) => ({
          status: 201,
          location: attachmentContentPath(attachmentId),
          body: async (): Promise<AttachmentView> =>
            attachmentView((await attachmentOf(deps, attachmentId, viewerId)).attachment),
        }),
      );
    },
  });

const listAttachmentsRoute = (deps: AttachmentDeps) =>
  listRoute(deps, {
    path: '/api/v1/issues/{id}/attachments/',
    summary: "The issue's attachments, oldest first (members)",
    tag: 'attachments',
    description: 'Attachments',
    params: idParams,
    query: pageQuery,
    item: attachmentSchema,
    listName: 'AttachmentList',
    notFound: 'issue',
    list: ({ params, query, viewerId }) => listAttachments(deps.db, params.id, viewerId, query),
  });

const sendContent = async (deps: AttachmentDeps, req: Request, res: Response, id: string) => {
  const { attachment } = await attachmentOf(deps, id, principal(req).id);
  const tag = `"${attachment.sha256}"`;
  res.setHeader('ETag', tag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Disposition', contentDisposition(attachment.filename));
  if (noneMatch(req.get('if-none-match'), tag)) {
    res.status(304).end();
    return;
  }
  const ifRange = req.get('if-range');
  const range =
    ifRange === undefined || ifRange === tag ? parseRange(req.get('range'), attachment.size) : null;
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${attachment.size}`);
    throw new HttpError(416, 'Range not satisfiable', `the file has ${attachment.size} bytes`, {
      headers: { 'Content-Range': `bytes */${attachment.size}` },
    });
  }
  const stream = await deps.attachments.storage.get(attachment.storageKey, range ?? undefined);
  if (stream === null) throw new HttpError(404, 'Not found', 'attachment content not found');
  res.status(range ? 206 : 200);
  res.setHeader('Content-Type', attachment.contentType);
  res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : attachment.size));
  if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${attachment.size}`);
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  // A client that goes away mid-download ends the pipeline with an error that no one is left to answer.
  await pipeline(stream, res).catch(() => undefined);
};

const contentRoute = (deps: AttachmentDeps) =>
  route({
    method: 'get',
    path: '/api/v1/attachments/{id}/content/',
    summary: 'The file: Content-Disposition, ETag (its sha256), If-None-Match (304), one Range (206, 416)',
    tag: 'attachments',
    auth: true,
    params: idParams,
    query: z.object({ min_position: z.string().optional() }),
    before: [minPosition(deps)],
    responses: {
      200: {
        description: 'The bytes',
        schema: z.string().openapi({ type: 'string', format: 'binary' }),
        contentType: 'application/octet-stream',
      },
      206: {
        description: 'The bytes of the one range asked for',
        schema: z.string().openapi({ type: 'string', format: 'binary' }),
        contentType: 'application/octet-stream',
      },
      304: { description: 'If-None-Match names its ETag' },
      416: { description: 'The range is outside the file' },
    },
    handler: ({ params, req, res }) => sendContent(deps, req, res, params.id),
  });

const deleteRoute = (deps: AttachmentDeps) =>
  route({
    method: 'delete',
    path: '/api/v1/attachments/{id}/',
    summary: 'Remove an attachment (its uploader, owner, manager); its content then answers 404',
    tag: 'attachments',
    auth: true,
    params: idParams,
    responses: { 204: { description: 'Removed' } },
    async handler({ params, req, res }) {
      const { attachment } = await attachmentOf(deps, params.id, principal(req).id);
      await runCommand(
        deps,
        { req, res },
        (context) =>
          deps.commands.removeAttachment(context, { issueId: attachment.issueId, attachmentId: params.id }),
        () => ({ status: 204 }),
      );
    },
  });

export const attachmentRoutes = (deps: AttachmentDeps): RouteSpec[] => [
  uploadRoute(
    deps,
    '/api/v1/issues/{id}/attachments/',
    'Attach a file (members): multipart/form-data field file',
  ),
  uploadRoute(deps, '/api/v1/issues/{id}/upload/', 'Attach a file (members); the same as POST attachments/'),
  listAttachmentsRoute(deps),
  contentRoute(deps),
  deleteRoute(deps),
];
