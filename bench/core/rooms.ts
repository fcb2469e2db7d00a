/**
 * Project rooms for the WebSocket rows: one organization with `roomSize` members and as many projects as asked,
 * so that socket i of room r is member i watching project r (rooms of `roomSize` distinct users).
 */
import type { ApiUser } from './api';
import type { Context } from './context';
import { settle } from './settle';

/** `make(0)` … `make(count - 1)`, ten at a time, in order. */
const inBatches = async <T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> => {
  const made: T[] = [];
  for (let start = 0; start < count; start += 10) {
    const batch = Array.from({ length: Math.min(10, count - start) }, (_, j) => make(start + j));
    made.push(...(await Promise.all(batch)));
  }
  return made;
};

export interface Rooms {
  organization: string;
  members: ApiUser[];
  projects: string[];
}

const base = (ctx: Context): Promise<Rooms> =>
  ctx.once('rooms', async () => {
    const { api, owner } = await ctx.fixtures();
    const organization = await api.organization(owner, 'Rooms');
    ctx.progress.step(`registering ${ctx.sizes.roomSize} room members`);
    const members = await inBatches(ctx.sizes.roomSize, (i) => api.user(`member${i}`));
    // One at a time: every addition appends to the organization's stream.
    for (const member of members) await api.addMember(owner, organization, member.id);
    await settle(ctx, 'the room members');
    return { organization, members, projects: [] };
  });

/** At least `count` rooms (made once, grown when a later row needs more). */
export const roomsFor = async (ctx: Context, count: number): Promise<Rooms> => {
  const rooms = await base(ctx);
  const { api, owner } = await ctx.fixtures();
  const have = rooms.projects.length;
  if (have >= count) return rooms;
  ctx.progress.step(`creating rooms ${have + 1}–${count}`);
  rooms.projects.push(
    ...(await inBatches(count - have, (i) => api.project(owner, rooms.organization, `Room ${have + i}`))),
  );
  await settle(ctx, 'the rooms');
  return rooms;
};

/** `sockets` WebSocket URLs of the app: every member in each room, room after room. */
export const appSocketUrls = (wsUrl: string, rooms: Rooms, sockets: number): string[] =>
  Array.from({ length: sockets }, (_, i) => {
    const project = rooms.projects[Math.floor(i / rooms.members.length)]!;
    const member = rooms.members[i % rooms.members.length]!;
    return `${wsUrl}/ws/projects/${project}/?token=${member.token}`;
  });
