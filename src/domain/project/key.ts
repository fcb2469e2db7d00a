import type { Checked } from '../shared/validation';
import { accept, refuse } from '../shared/validation';

/**
 * A project's key (`WEB`) and its issues' keys (`WEB-12`). A key is 2–10 capital letters and digits, unique in its
 * organization (the organization's stream keeps the reservations), and never changes once given: every issue key
 * quoted in a link, an email or a commit message keeps naming the same issue.
 */
export const PROJECT_KEY_MIN = 2;
export const PROJECT_KEY_MAX = 10;
const KEY = /^[A-Z0-9]{2,10}$/;

export const isProjectKey = (value: unknown): value is string => typeof value === 'string' && KEY.test(value);

/** A key as a client may write it: surrounding spaces and lower case are forgiven (`web` is `WEB`). */
export const projectKeyCheck = (value: unknown): Checked<string> => {
  if (typeof value !== 'string') return refuse('must be a string');
  const key = value.trim().toUpperCase();
  return KEY.test(key) ? accept(key) : refuse('must be 2 to 10 capital letters and digits');
};

/** Letters and digits of a text, accents dropped, upper case, split into words at anything else. */
const words = (text: string): string[] =>
  text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== '');

/**
 * The key a name suggests: the initials of a name of several words (`Team Tracker` → `TT`), the first ten letters
 * and digits of a one-word name (`Apollo` → `APOLLO`); padded with `P` to two characters, `PROJ` for a name without
 * a letter or digit. Pure, so every reader derives the same key from the same name (the upcaster of projects
 * created before keys existed relies on it).
 */
export const deriveProjectKey = (name: string): string => {
  const parts = words(name);
  if (parts.length === 0) return 'PROJ';
  const base =
    parts.length === 1
      ? parts[0]!.slice(0, PROJECT_KEY_MAX)
      : parts
          .map((w) => w[0])
          .join('')
          .slice(0, 10);
  return base.length >= PROJECT_KEY_MIN ? base : base.padEnd(PROJECT_KEY_MIN, 'P');
};

/** The n-th candidate for a derived key: the key itself, then `KEY2`, `KEY3`, … (shortened to stay within ten). */
export const numberedKey = (base: string, n: number): string =>
  n <= 1 ? base : `${base.slice(0, PROJECT_KEY_MAX - String(n).length)}${n}`;

/** Keys compare without regard to case (they are stored in capitals). */
export const keyId = (key: string): string => key.toUpperCase();

/** `WEB-12`. */
export const issueKey = (projectKey: string, number: number): string => `${projectKey}-${number}`;

const ISSUE_KEY = /^([A-Za-z0-9]{2,10})-([1-9][0-9]{0,9})$/;

/** `web-12` → `{ projectKey: 'WEB', number: 12 }`; null for anything that is not an issue key. */
export const parseIssueKey = (value: unknown): { projectKey: string; number: number } | null => {
  if (typeof value !== 'string') return null;
  const match = ISSUE_KEY.exec(value);
  if (match === null) return null;
  const number = Number(match[2]);
  return number <= 2_147_483_647 ? { projectKey: match[1]!.toUpperCase(), number } : null;
};
