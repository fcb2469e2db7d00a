import type { Position } from '../../eventstore/port';
import type { Publisher, RoomMessage } from '../../projections/projection';

/** Not a room of the bus: the reactor's publisher keeps these messages in its process and wakes the job named. */
export const WAKE_ROOM = '__wake_job__';

export const wakeMessage = (job: string, position: Position): RoomMessage => ({
  room: WAKE_ROOM,
  position,
  message: { type: 'job.wake', position, job },
});

/**
 * The reactor's publisher: realtime messages go to the bus, wake-ups to `wake` in this process, both after the
 * batch committed (the runner publishes only then).
 */
export const routeWakeUps = (publisher: Publisher, wake: (job: string) => void): Publisher => ({
  async publish(messages) {
    const jobs = new Set<string>();
    const realtime: RoomMessage[] = [];
    for (const m of messages) {
      if (m.room === WAKE_ROOM) jobs.add(String(m.message.job));
      else realtime.push(m);
    }
    for (const job of jobs) wake(job);
    if (realtime.length > 0) await publisher.publish(realtime);
  },
  announceGap: async () => publisher.announceGap?.(),
});
