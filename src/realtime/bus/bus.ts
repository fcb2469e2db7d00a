import type { Position } from '../../eventstore/port';
import type { Publisher } from '../../projections/projection';

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

/** The bus port: the projector publishes through it, WebSocket servers subscribe to rooms. */
export interface Bus extends Publisher {
  /** Returns the function that ends the subscription. */
  subscribe(room: string, listener: RoomListener): () => void;
  /** Resolves once messages published to the room from now on will be delivered (the server confirmed). */
  subscribed(room: string): Promise<void>;
  /** Called when the bus may have missed messages (a reconnect): servers fill the gap from the feed. */
  onGap(listener: () => void): void;
  close(): Promise<void>;
}
