/**
 * A batch whose COMMIT went through but whose answer never came back (the connection was cut at that moment, or
 * the projector died right after committing) has its realtime messages published by nobody: the projector saw a
 * failure, and reads on from the checkpoint, which is past the batch. Sockets that stay connected must still get
 * those messages: a projector that subscribes again tells the bus that messages may be missing, and the servers
 * fill their sockets from the feeds. Found by the PostgreSQL outage suite (src/reliability/outage-postgres.ts): a
 * connected socket missed one position of 457.
 */
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { testKnex } from '../../../test/support/database';
import { eventually } from '../../../test/support/eventually';
import { anOrganization } from '../../../test/support/fixtures';
import { connect, useServedRooms } from '../../../test/support/realtime';
import { useFixture, useTestApi } from '../../../test/support/suite';
import { readModels } from '../read-models';
import { createProjector, type Projector } from './projector';

/** A proxy to PostgreSQL that, once armed, lets the next COMMIT through and then cuts that connection unanswered. */
const commitCuttingProxy = async (target: URL) => {
  let armed = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connectTcp(Number(target.port || 5432), target.hostname);
    let swallow = false;
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    sockets.add(client).add(upstream);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.on('data', (chunk: Buffer) => {
      if (!swallow) client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      // knex's COMMIT, a simple query: 'Q', its length (4 bytes), the text.
      const commit = chunk.indexOf('COMMIT;\u0000');
      if (armed && commit >= 5 && chunk[commit - 5] === 'Q'.charCodeAt(0)) {
        armed = false;
        // PostgreSQL gets the COMMIT and commits; the client never hears of it.
        swallow = true;
        setTimeout(drop, 200);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    armNextCommit() {
      armed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};

describe('a projector batch committed without the answer reaching the projector', () => {
  const api = useTestApi();
  const served = useServedRooms(api);
  const shop = useFixture(() => anOrganization(api, 'Shop').withProject('P').build());

  it('still reaches the sockets that stayed connected', async () => {
    const direct = new URL(api.database.url);
    const proxy = await commitCuttingProxy(direct);
    const viaProxy = new URL(api.database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const knex = testKnex(viaProxy.toString(), { max: 2, quiet: true });
    // This projector, the only one running, reaches PostgreSQL through the proxy.
    await api.system.projector.stop();
    const projector: Projector = createProjector({
      store: api.system.store,
      knex,
      projections: readModels,
      publisher: api.bus,
      retryDelayMs: 100,
    });
    projector.start();
    const socket = connect(served.wsUrl(`/ws/projects/${shop.projects.P}/?token=${shop.owner.access}`));
    const create = (title: string) =>
      api.http
        .post('/api/v1/issues/')
        .set(shop.owner.auth)
        .send({ project: shop.projects.P, title })
        .expect(201);
    try {
      await socket.opened;
      await create('Before');
      await socket.waitFor(1);
      proxy.armNextCommit();
      await create('Committed, answer lost');
      await create('After');
      await eventually(() => expect(socket.messages).toHaveLength(3), 10_000);
      await sleep(200);
      expect(socket.messages.map((m) => m.title)).toEqual(['Before', 'Committed, answer lost', 'After']);
    } finally {
      await socket.close();
      await projector.stop();
      await knex.destroy();
      await proxy.close();
      api.system.projector.start();
    }
  });
});
