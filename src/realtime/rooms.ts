import type { Bus, BusMessage } from './bus/bus';

/** What a room delivers to: a socket's session. */
export interface RoomMember {
  /** `data` is the message's payload as one Buffer, shared by every member of the room. */
  deliver(message: BusMessage, data: Buffer): void;
}

export interface Rooms {
  /** Adds the member, subscribing the room on the bus for its first member; resolves once the bus confirmed. */
  join(room: string, member: RoomMember): Promise<void>;
  /** Removes the member from every room it joined; a room's last member unsubscribes it from the bus. */
  leaveAll(member: RoomMember): void;
  /** Rooms with at least one member. */
  readonly size: number;
}

/** The rooms of one server: one bus subscription per room in use, each message serialized once per room. */
export const createRooms = (bus: Bus): Rooms => {
  const rooms = new Map<string, { members: Set<RoomMember>; unsubscribe: () => void }>();
  const joined = new Map<RoomMember, string[]>();

  const fanOut = (members: ReadonlySet<RoomMember>) => (message: BusMessage) => {
    const data = Buffer.from(message.payload);
    for (const member of members) member.deliver(message, data);
  };

  const leave = (room: string, member: RoomMember): void => {
    const entry = rooms.get(room);
    if (!entry?.members.delete(member) || entry.members.size > 0) return;
    entry.unsubscribe();
    rooms.delete(room);
  };

  return {
    async join(room, member) {
      let entry = rooms.get(room);
      if (!entry) {
        const members = new Set<RoomMember>();
        entry = { members, unsubscribe: bus.subscribe(room, fanOut(members)) };
        rooms.set(room, entry);
      }
      entry.members.add(member);
      joined.set(member, [...(joined.get(member) ?? []), room]);
      await bus.subscribed(room);
    },
    leaveAll(member) {
      for (const room of joined.get(member) ?? []) leave(room, member);
      joined.delete(member);
    },
    get size() {
      return rooms.size;
    },
  };
};
