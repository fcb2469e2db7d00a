import type { BusMessage, RoomMessage } from './bus';
import { createInProcessBus } from './in-process-bus';

const message = (room: string, n: number): RoomMessage => {
  const position = `${n.toString(16).padStart(16, '0')}-${n.toString(16).padStart(16, '0')}`;
  return { room, position, message: { type: 'issue.updated', position, title: `issue ${n}` } };
};

describe('in-process bus', () => {
  it('delivers each message to the listeners of its room only, serialized, in publish order', async () => {
    const bus = createInProcessBus();
    const a: BusMessage[] = [];
    const b: BusMessage[] = [];
    bus.subscribe('project:a', (m) => a.push(m));
    bus.subscribe('project:b', (m) => b.push(m));
    await bus.publish([message('project:a', 1), message('project:b', 2), message('project:a', 3)]);
    await bus.publish([message('project:a', 4), message('user:nobody', 5)]);
    expect(a.map((m) => m.position)).toEqual([1, 3, 4].map((n) => message('', n).position));
    expect(b).toHaveLength(1);
    expect(JSON.parse(a[0]!.payload)).toEqual(message('project:a', 1).message);
    expect(a[0]!.room).toBe('project:a');
  });

  it('serializes a message once for all the listeners of a room', async () => {
    const bus = createInProcessBus();
    const seen: BusMessage[] = [];
    bus.subscribe('project:a', (m) => seen.push(m));
    bus.subscribe('project:a', (m) => seen.push(m));
    await bus.publish([message('project:a', 1)]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
  });

  it('stops delivering after unsubscribe, and forgets empty rooms', async () => {
    const bus = createInProcessBus();
    const seen: BusMessage[] = [];
    const listener = (m: BusMessage) => seen.push(m);
    const first = bus.subscribe('project:a', listener);
    const second = bus.subscribe('project:a', listener);
    first();
    first();
    await bus.publish([message('project:a', 1)]);
    expect(seen).toHaveLength(1);
    second();
    expect(bus.roomCount).toBe(0);
    await bus.publish([message('project:a', 2)]);
    expect(seen).toHaveLength(1);
  });

  it('a listener that throws or unsubscribes during delivery does not disturb the others', async () => {
    const errors: unknown[] = [];
    const bus = createInProcessBus({ onListenerError: (error) => errors.push(error) });
    const seen: string[] = [];
    const unsubscribeSelf = bus.subscribe('project:a', () => {
      seen.push('once');
      unsubscribeSelf();
    });
    bus.subscribe('project:a', () => {
      throw new Error('socket gone');
    });
    bus.subscribe('project:a', (m) => seen.push(m.position));
    await bus.publish([message('project:a', 1), message('project:a', 2)]);
    expect(seen).toEqual(['once', message('', 1).position, message('', 2).position]);
    expect(errors).toHaveLength(2);
  });

  it('close drops every subscription', async () => {
    const bus = createInProcessBus();
    const seen: BusMessage[] = [];
    bus.subscribe('project:a', (m) => seen.push(m));
    await bus.close();
    await bus.publish([message('project:a', 1)]);
    expect(seen).toEqual([]);
  });
});
