/**
 * Issue 13's rebuild under load: while writers create and change issues through the API and readers list and get
 * issues, projects and organizations, an admin rebuilds every read model through `POST
 * /admin/projections/{name}/rebuild/`. No read may fail meanwhile, every rebuild must end live, and afterwards each
 * read model's tables must hold exactly what a fold of the whole log from scratch, in a fresh database, gives.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { eventually } from '../../test/support/eventually';
import { anOrganization } from '../../test/support/fixtures';
import { expectStatus } from '../../test/support/http';
import { snapshot } from '../../test/support/read-models/batches';
import { useFixture, useTestApi } from '../../test/support/suite';
import { readModels } from '../projections/read-models';
import { foldFromScratch, tableDifferences } from '../reliability/support/read-models';

const SEEDED_ISSUES = 1500;
const WRITERS = 3;
const READERS = 4;

describe('rebuilding every read model through the admin API while the API is written and read', () => {
  // Small batches: the rebuilds take many transactions, so reads and writes interleave with every phase.
  const api = useTestApi({ rebuildBatchSize: 100 });
  const admin = useFixture(async () => {
    const user = await api.user('admin');
    await api.system.credentials.setAdmin(user.id, true);
    return user;
  });
  const acme = useFixture(() =>
    anOrganization(api, 'Acme').withMember('dev', 'member').withProject('Web').withProject('Ops').build(),
  );
  /** A log long enough that a rebuild is not over before the readers notice. */
  const seeded = useFixture(async () => {
    const projects = [acme.projects.Web, acme.projects.Ops];
    const ids: string[] = [];
    for (let i = 0; i < SEEDED_ISSUES; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          api.system.commands.createIssue(
            { actorId: acme.owner.id },
            { projectId: projects[(i + j) % 2]!, title: `Seeded ${i + j}`, description: `words ${i + j}` },
          ),
        ),
      );
      for (const [j, created] of batch.entries()) {
        ids.push(created.issueId);
        if ((i + j) % 3 === 0)
          await api.system.commands.updateIssue(
            { actorId: acme.owner.id },
            { issueId: created.issueId, status: 'in_progress', priority: 'high' },
          );
      }
    }
    await api.system.waiter.waitFor(await api.system.store.headPosition(), 20_000);
    return { ids };
  });

  const listing = async () => {
    const res = await api.http.get('/api/v1/admin/projections/').set(admin.auth);
    expectStatus(res, 200);
    return res.body.results as { name: string; state: string; rebuild: unknown }[];
  };

  it('serves every read (200) during the rebuilds, ends live, and equals a fold of the log from scratch', async () => {
    const readable = [...seeded.ids];
    const failures: string[] = [];
    const fail = (what: string, res: Response) =>
      failures.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
    let stop = false;
    let rebuilding = false;
    let reads = 0;
    let readsWhileRebuilding = 0;
    let writes = 0;

    const writer = async (n: number) => {
      const project = n % 2 === 0 ? acme.projects.Web : acme.projects.Ops;
      const by = n % 2 === 0 ? acme.owner : acme.dev;
      for (let i = 0; !stop; i += 1) {
        const created = await api.http
          .post('/api/v1/issues/')
          .set(by.auth)
          .send({ project, title: `Written ${n}.${i}`, priority: 'low' });
        // 202: the read models took longer than the wait (a swap holds the projector for a moment).
        if (created.status !== 201 && created.status !== 202) fail('create', created);
        if (created.status !== 201) continue;
        writes += 1;
        readable.push(created.body.id);
        const changed = await api.http
          .patch(`/api/v1/issues/${created.body.id}/`)
          .set(by.auth)
          .send({ status: 'blocked', title: `Rewritten ${n}.${i}` });
        if (changed.status !== 200 && changed.status !== 202) fail('update', changed);
        else writes += 1;
      }
    };
    const read = async (what: string, path: string) => {
      const res = await api.http.get(path).set(acme.dev.auth);
      reads += 1;
      if (rebuilding) readsWhileRebuilding += 1;
      if (res.status !== 200) fail(what, res);
      return res;
    };
    const reader = async (n: number) => {
      for (let i = 0; !stop; i += 1) {
        const issue = readable[(n * 7919 + i * 104_729) % readable.length]!;
        const list = await read('list issues', `/api/v1/issues/?project=${acme.projects.Web}&limit=50`);
        if (list.status === 200 && list.body.results.length === 0) failures.push('list issues: empty');
        await read('get issue', `/api/v1/issues/${issue}/`);
        await read('search issues', `/api/v1/issues/?search=words&ordering=-priority&limit=20`);
        await read('get project', `/api/v1/projects/${acme.projects.Ops}/`);
        await read('list projects', '/api/v1/projects/');
        await read('get organization', `/api/v1/organizations/${acme.id}/`);
        await read('list members', `/api/v1/organizations/${acme.id}/members/`);
        await read('list organizations', '/api/v1/organizations/');
      }
    };

    const load = [
      ...Array.from({ length: WRITERS }, (_, n) => writer(n)),
      ...Array.from({ length: READERS }, (_, n) => reader(n)),
    ];
    try {
      await sleep(300);
      const names = readModels.map((p) => p.name);
      rebuilding = true;
      for (const name of names) {
        const res = await api.http
          .post(`/api/v1/admin/projections/${name}/rebuild/`)
          .set(admin.auth)
          .send({});
        expectStatus(res, 202);
      }
      const seenRebuilding = new Set<string>();
      await eventually(async () => {
        const listed = await listing();
        for (const p of listed) if (p.state === 'rebuilding') seenRebuilding.add(p.name);
        const models = listed.filter((p) => names.includes(p.name));
        expect(models.map((p) => [p.name, p.state, p.rebuild])).toEqual(names.map((n) => [n, 'live', null]));
      }, 120_000);
      await Promise.all(names.map((name) => api.system.rebuilds.settled(name)));
      rebuilding = false;
      expect(api.system.rebuilds.running()).toEqual([]);
      // The readers were reading while the rebuilds ran, and the listing showed them running.
      expect(readsWhileRebuilding).toBeGreaterThan(50);
      expect(seenRebuilding.size).toBeGreaterThan(0);
      await sleep(200);
    } finally {
      stop = true;
      await Promise.all(load);
    }
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(readsWhileRebuilding);
    expect(writes).toBeGreaterThan(10);

    const head = await api.system.store.headPosition();
    expect(await api.system.waiter.waitFor(head, 20_000)).toBe(true);
    const live = await snapshot(api.knex);
    // The whole log applied to a fresh database's read models, page by page, as the projector does.
    const expected = await foldFromScratch(api.system.store, head);
    expect(Object.keys(live)).toEqual(readModels.flatMap((p) => p.tables));
    expect(tableDifferences(live, expected)).toEqual([]);
    // The issues written during the rebuild are there, as last changed.
    const { rows } = await api.knex.raw<{ rows: { n: number }[] }>(
      "SELECT count(*)::int AS n FROM issues WHERE title LIKE 'Rewritten %' AND status = 'blocked'",
    );
    expect(rows[0]!.n).toBeGreaterThan(0);
  }, 180_000);
});
