import { createHash, randomUUID } from 'node:crypto';

/** 16 bytes written as a UUID, with its version and the RFC 9562 variant set. */
const asUuid = (bytes: Buffer, version: number): string => {
  bytes[6] = (bytes[6]! & 0x0f) | (version << 4);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits; ids sort by creation time. Made from a
 * random UUIDv4 (Node draws those from a pool of random bytes, not a system call each) whose first 48 bits give
 * way to the time and whose version becomes 7: the 74 random bits v7 asks for are the v4's, variant included.
 */
export const uuidv7 = (now: number = Date.now()): string => {
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
};

/**
 * The id of the aggregate a creating command makes: new, or derived from the caller's command id, so that a
 * retried creation (same Idempotency-Key) lands on the same stream, where the command id is recognised and the
 * first result returned instead of creating a second one. Derived ids are UUIDv8 (RFC 9562: custom) from SHA-256.
 */
export const newAggregateId = (commandId: string | undefined): string => {
  if (commandId === undefined) return uuidv7();
  return asUuid(
    createHash('sha256').update(`team-tracker:aggregate:${commandId}`).digest().subarray(0, 16),
    8,
  );
};
