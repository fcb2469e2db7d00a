/** One batch's email: plain text and HTML, a line and a link per notification. */

export interface DigestItem {
  kind: string;
  issueId: string | null;
  message: string;
  createdAt: Date;
}

export interface Digest {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The issue's address: the API's, the one place this backend serves an issue at. */
export const issueLink = (publicUrl: string, issueId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/api/v1/issues/${issueId}/`;

export const renderDigest = (options: {
  username: string;
  publicUrl: string;
  items: readonly DigestItem[];
}): Digest => {
  const { username, publicUrl, items } = options;
  const subject =
    items.length === 1
      ? `Team Tracker: ${items[0]!.message}`
      : `Team Tracker: ${items.length} new notifications`;
  const link = (item: DigestItem) => (item.issueId ? issueLink(publicUrl, item.issueId) : null);
  const footer =
    'You get these emails because email notifications are on for your account. ' +
    'Turn them off with PATCH /api/v1/me/ {"email_notifications": false}.';
  const text = [
    `Hello ${username},`,
    '',
    ...items.flatMap((item) => {
      const url = link(item);
      return url ? [`- ${item.message}`, `  ${url}`] : [`- ${item.message}`];
    }),
    '',
    footer,
    '',
  ].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p>Hello ${escapeHtml(username)},</p>`,
    '<ul>',
    ...items.map((item) => {
      const url = link(item);
      const message = escapeHtml(item.message);
      return url ? `<li><a href="${escapeHtml(url)}">${message}</a></li>` : `<li>${message}</li>`;
    }),
    '</ul>',
    `<p style="color:#666;font-size:small">${escapeHtml(footer)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
};
