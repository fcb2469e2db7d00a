/** What the bench process and its socket-holding children say to each other over IPC. */
export type ClientRequest =
  | { id: number; type: 'open'; kind: 'ws' | 'tcp'; targets: string[]; concurrency: number }
  | { id: number; type: 'collect' }
  | { id: number; type: 'close' };

export interface OpenReply {
  id: number;
  type: 'opened';
  opened: number;
  failed: number;
  /** The first few reasons of failures. */
  errors: string[];
}

export interface CollectReply {
  id: number;
  type: 'collected';
  /** Milliseconds from the send time a message carried to its arrival, one per message received. */
  latencies: number[];
  /** Sockets that closed without being asked to, since the last collect. */
  dropped: number;
}

export type ClientReply = OpenReply | CollectReply | { id: number; type: 'closed' };

/**
 * The send time a message carries: `"ws <ms>"` in its `title` (an issue the bench created) or its `sent` (a
 * message the bench published). Null for any other message.
 */
export const sentTimeOf = (payload: string): number | null => {
  let message: { title?: unknown; sent?: unknown };
  try {
    message = JSON.parse(payload) as { title?: unknown; sent?: unknown };
  } catch {
    return null;
  }
  const text = typeof message.title === 'string' ? message.title : message.sent;
  const match = typeof text === 'string' ? /^ws (\d+(?:\.\d+)?)$/.exec(text) : null;
  return match ? Number(match[1]) : null;
};
