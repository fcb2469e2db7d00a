/**
 * The admin projection endpoints over HTTP on a real database: the listing (checkpoint, lag, state, progress of a
 * rebuild under way in any process), and starting a rebuild (202, refused while another runs, unknown names,
 * reactions), admins only. The rebuild under load is in src/api/rebuild-under-writes.test.ts.
 */
import type { TestUser } from '../../../test/support/api';
import { eventually } from '../../../test/support/eventually';
import { anOrganization, createIssue } from '../../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../../test/support/http';
import { useFixture, useTestApi } from '../../../test/support/suite';
import { adminStream } from '../../domain/admin';
import { decodePosition, encodePosition } from '../../eventstore/port';
import { connectionOf } from '../../projections/runner/pg-connection';
import { takeRebuildLock } from '../../projections/runner/rebuild/rebuild-lock';

interface Listed {
  name: string;
  kind: string;
  checkpoint: string;
  lag_events: number;
  lag_ms: number;
  state: string;
  events_applied: number;
  updated_at: string | null;
  rebuildable: boolean;
  rebuild: Record<string, unknown> | null;
}

describe('admin projection endpoints', () => {
  const api = useTestApi({ rebuildBatchSize: 20 });
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });
  const acme = useFixture(() => anOrganization(api, 'Acme').withMember('member').withProject('Web').build());
  useFixture(async () => {
    for (let i = 0; i < 30; i += 1)
      await createIssue(api, acme.owner, acme.projects.Web, { title: `Issue ${i}` });
    return {};
  });

  const list = async (user: TestUser = admin): Promise<Listed[]> => {
    const res = await api.http.get('/api/v1/admin/projections/').set(user.auth);
    expectStatus(res, 200);
    expect(res.body.next).toBeNull();
    return res.body.results as Listed[];
  };
  const one = async (name: string) => (await list()).find((p) => p.name === name)!;
  const adminActions = async () =>
    (await api.system.store.readStream(adminStream(admin.id))).map((e) => e.data);
  const lockFromAnotherProcess = (name: string) => takeRebuildLock(connectionOf(api.knex), name);

  it('lists every read model, then every reaction, caught up: checkpoint at the head, no lag', async () => {
    const head = await api.system.store.headPosition();
    await api.system.waiter.waitFor(head, 5000);
    await eventually(async () => {
      const listed = await list();
      expect(listed.map((p) => [p.name, p.kind, p.rebuildable])).toEqual(
        expect.arrayContaining([
          ['users', 'read_model', true],
          ['organizations', 'read_model', true],
          ['project_rooms', 'read_model', true],
          ['reaction:notifications', 'reaction', false],
          ['reaction:member-removals', 'reaction', false],
        ]),
      );
      const kinds = listed.map((p) => p.kind);
      expect(kinds.indexOf('reaction')).toBeGreaterThan(kinds.lastIndexOf('read_model'));
      for (const p of listed) {
        expect(p).toEqual({
          name: expect.any(String),
          kind: expect.any(String),
          checkpoint: head,
          lag_events: 0,
          lag_ms: 0,
          state: 'live',
          events_applied: expect.any(Number),
          updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
          rebuildable: expect.any(Boolean),
          rebuild: null,
        });
      }
      const issues = listed.find((p) => p.name === 'project_rooms')!;
      // The project's creation and the 30 issues, at least.
      expect(issues.events_applied).toBeGreaterThanOrEqual(31);
    });
  });

  it('shows lag in events and milliseconds while the projector is stopped, and none once it catches up', async () => {
    await api.system.projector.stop();
    try {
      for (let i = 0; i < 5; i += 1)
        await api.system.commands.createIssue(
          { actorId: acme.owner.id },
          { projectId: acme.projects.Web, title: `Unprojected ${i}` },
        );
      await new Promise((resolve) => setTimeout(resolve, 30));
      const lagging = await one('project_rooms');
      expect(lagging.lag_events).toBe(5);
      expect(lagging.lag_ms).toBeGreaterThanOrEqual(30);
      expect(lagging.state).toBe('live');
    } finally {
      api.system.projector.start();
    }
    await eventually(async () => expect((await one('project_rooms')).lag_events).toBe(0));
  });

  it('refuses anyone but an admin: 403 signed in, 401 anonymous', async () => {
    for (const path of ['/api/v1/admin/projections/', '/api/v1/admin/projections/users/rebuild/']) {
      const method = path.endsWith('rebuild/') ? 'post' : 'get';
      expectProblem(await api.http[method](path).set(acme.owner.auth).send({}), 403);
      expectProblem(await api.http[method](path).set(acme.member.auth).send({}), 403);
      const anonymous = await api.http[method](path).send({});
      expectProblem(anonymous, 401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('answers 404 for a name that is no read model, and 409 for a reaction, recording nothing', async () => {
    const before = (await adminActions()).length;
    const unknown = await api.http.post('/api/v1/admin/projections/nope/rebuild/').set(admin.auth).send({});
    expectProblem(unknown, 404);
    const reaction = await api.http
      .post('/api/v1/admin/projections/reaction:notifications/rebuild/')
      .set(admin.auth)
      .send({});
    expectProblem(reaction, 409);
    expect(reaction.body.detail).toMatch(/reaction.*cannot be rebuilt/);
    expect(await adminActions()).toHaveLength(before);
  });

  it('shows the progress of a rebuild another process runs, and refuses a second one with 409', async () => {
    const release = await lockFromAnotherProcess('users');
    try {
      const head = await api.system.store.headPosition();
      const halfway = encodePosition(0n, decodePosition(head).low / 2n);
      await api.knex.raw("UPDATE projection_checkpoints SET state = 'rebuilding' WHERE name = 'users'");
      await api.knex.raw(
        `INSERT INTO projection_rebuilds (name, position, events_applied, store, started_at, updated_at)
         VALUES ('users', ?, 7, 'postgresql', now() - interval '10 seconds', now())`,
        [halfway],
      );
      const users = await one('users');
      expect(users.state).toBe('rebuilding');
      expect(users.rebuild).toEqual({
        position: halfway,
        events_applied: 7,
        target: head,
        percent: expect.any(Number),
        started_at: expect.any(String),
        updated_at: expect.any(String),
        events_per_second: 1,
        eta_seconds: expect.any(Number),
      });
      expect(users.rebuild!.percent).toBeGreaterThanOrEqual(45);
      expect(users.rebuild!.percent).toBeLessThanOrEqual(50);
      // Half the log in 10 s: about 10 s to go.
      expect(users.rebuild!.eta_seconds).toBeGreaterThanOrEqual(8);
      expect(users.rebuild!.eta_seconds).toBeLessThanOrEqual(11);

      const before = (await adminActions()).length;
      const refused = await api.http
        .post('/api/v1/admin/projections/users/rebuild/')
        .set(admin.auth)
        .send({});
      expectProblem(refused, 409);
      expect(refused.body.detail).toMatch(/being rebuilt already/);
      expect(await adminActions()).toHaveLength(before);
    } finally {
      await release();
    }
    // Its process is gone: interrupted, resumable, no ETA.
    const interrupted = await one('users');
    expect(interrupted.state).toBe('interrupted');
    expect(interrupted.rebuild).toEqual(expect.objectContaining({ events_applied: 7, eta_seconds: null }));
  });

  it('rebuilds on request: 202 with where to watch, the action recorded, then live again with the same rows', async () => {
    const before = await api.knex('users').select().orderBy('id');
    const res = await api.http.post('/api/v1/admin/projections/users/rebuild/').set(admin.auth).send({});
    expectStatus(res, 202);
    expect(res.body).toEqual({
      name: 'users',
      state: 'rebuilding',
      progress: '/api/v1/admin/projections/',
    });
    expect(res.headers.location).toBe('/api/v1/admin/projections/');
    expect(res.headers['x-position']).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
    const recorded = await adminActions();
    expect(recorded[recorded.length - 1]).toEqual({
      adminId: admin.id,
      action: 'projection.rebuild_requested',
      details: { projection: 'users' },
    });

    // A second request while it runs (or, if it was that quick, after): never two at once.
    const again = await api.http.post('/api/v1/admin/projections/users/rebuild/').set(admin.auth).send({});
    if (again.status === 409) expect(again.body.detail).toMatch(/being rebuilt already/);
    else expectStatus(again, 202);

    await api.system.rebuilds.settled('users');
    await eventually(async () => {
      const users = await one('users');
      expect(users).toEqual(expect.objectContaining({ state: 'live', rebuild: null, lag_events: 0 }));
    });
    expect(await api.knex('users').select().orderBy('id')).toEqual(before);
    const progress = await api.knex('projection_rebuilds').select();
    expect(progress).toEqual([]);
  });
});
