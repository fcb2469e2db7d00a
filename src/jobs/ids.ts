import { createHash } from 'node:crypto';

/**
 * A UUIDv8 (RFC 9562: custom) from SHA-256 of its parts: the command id of a command a job issues on behalf of an
 * event, the same on every attempt, so that a retry after a crash is recognised by the command side and appends
 * nothing twice.
 */
export const derivedId = (...parts: readonly string[]): string => {
  const bytes = createHash('sha256')
    .update(`team-tracker:job:${parts.join(':')}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
