/**
 * A client cannot crash the server through the upgrade (found by src/realtime/ws-fuzz.test.ts): a connection reset
 * while its upgrade is being refused, and a frame ws refuses (too large, a bad opcode, unmasked) sent by a socket
 * that is being refused or was just accepted, end that connection and nothing else.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { anOrganization } from '../../test/support/fixtures';
import { frame, rawUpgrade } from '../../test/support/raw-ws';
import { connect as connectWs, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';
import { useUnhandledWatch } from '../../test/support/unhandled';

describe('upgrades a client cannot crash the server with', () => {
  useUnhandledWatch();
  const api = useTestApi();
  const served = useServedRooms(api);
  const home = useFixture(() => anOrganization(api, 'Upgrades').withProject('P').build());
  const port = () => Number(new URL(served.wsUrl('/')).port);

  /** The server still answers: a new socket on the project opens and gets the next issue. */
  const stillServing = async () => {
    const socket = connectWs(served.wsUrl(`/ws/projects/${home.projects.P}/?token=${home.owner.access}`));
    await socket.opened;
    await api.http
      .post('/api/v1/issues/')
      .set(home.owner.auth)
      .send({ project: home.projects.P, title: 'Still here' })
      .expect(201);
    await socket.waitFor(1);
    await socket.close();
  };

  it.each(['/ws/nothing-here/', '/', '/ws/notifications/?token=not-a-token', '/ws/projects/%/'])(
    'survives connections reset while the upgrade of %s is answered',
    async (target) => {
      for (let i = 0; i < 20; i++) {
        const socket = connect(port(), '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
        socket.write(
          `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
        socket.resetAndDestroy();
      }
      await sleep(300);
      await stillServing();
    },
  );

  it.each([
    ['a frame over 4 KiB', frame(2, Buffer.alloc(5000))],
    ['a reserved opcode', frame(3, Buffer.alloc(4))],
    ['an unmasked frame', frame(1, Buffer.from('hi'), { mask: false })],
    ['invalid UTF-8 text', frame(1, Buffer.from([0xc3, 0x28]))],
  ])('closes a socket refused with 4001 that sends %s, and goes on serving', async (_, sent) => {
    const outcome = await rawUpgrade(port(), '/ws/notifications/?token=not-a-token', { after: [sent] });
    outcome.socket.destroy();
    expect(outcome.status).toBe(101);
    expect(outcome.closeCode).toBe(4001);
    await stillServing();
  });

  it.each([
    ['a frame over 4 KiB', 1009, frame(2, Buffer.alloc(5000))],
    ['a reserved opcode', 1002, frame(3, Buffer.alloc(4))],
    ['invalid UTF-8 text', 1007, frame(1, Buffer.from([0xc3, 0x28]))],
  ])('closes an accepted socket that sends %s with %i', async (_, code, sent) => {
    const outcome = await rawUpgrade(port(), `/ws/projects/${home.projects.P}/?token=${home.owner.access}`, {
      after: [sent],
    });
    outcome.socket.destroy();
    expect(outcome.status).toBe(101);
    expect(outcome.closeCode).toBe(code);
    await stillServing();
  });
});
