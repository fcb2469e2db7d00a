import type { Position } from '../../eventstore/port';

/** A message for a room as a publisher hands it to the bus, which serializes `message` once per room. */
export interface RoomMessage {
  room: string;
  /** Its place in the log: a socket drops what it has already seen by it. */
  position: Position;
  /** What API.md shows on the WebSocket (in a control room, what the servers read); any JSON object. */
  message: object;
}

/** The publishing half of the bus: the projector (after each commit) and the API (control rooms) use it. */
export interface Publisher {
  publish(messages: readonly RoomMessage[]): Promise<void>;
  /** Tells every subscriber (every process) that messages may have been lost: each fills the gap (see onGap). */
  announceGap?(): Promise<void>;
}

/**
 * What a room subscriber receives: the message already serialized (once per room and message, however many
 * sockets are in the room), and its position, so a socket can drop what it has already seen.
 */
export interface BusMessage {
  room: string;
  position: Position;
  /** The JSON text to send on the WebSocket as is. */
  payload: string;
}

export type RoomListener = (message: BusMessage) => void;

/** The bus port: publishers publish to rooms, WebSocket servers subscribe to them. */
export interface Bus extends Publisher {
  /** Returns the function that ends the subscription. */
  subscribe(room: string, listener: RoomListener): () => void;
  /** Resolves once messages published to the room from now on will be delivered (the server confirmed). */
  subscribed(room: string): Promise<void>;
  /**
   * Called when the bus may have missed messages (a reconnect, a gap announced by a publisher): servers fill the
   * gap from the feed and check memberships. Returns the function that stops listening.
   */
  onGap(listener: () => void): () => void;
  close(): Promise<void>;
}
