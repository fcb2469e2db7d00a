/**
 * Labels over HTTP: per organization (names unique whatever their case, colours `#rrggbb`), carried by issues
 * (`PATCH { label_ids }`, shown as `labels`), filtered on (`?label=`, all must match), renamed everywhere at once
 * (issues name labels by id; names are read at read time), and taken off every issue, by one event each, when
 * deleted (the label-removals process).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestUser } from '../../test/support/api';
import { eventually } from '../../test/support/eventually';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { expectProblem, expectStatus } from '../../test/support/http';
import { runJob } from '../../test/support/jobs';
import { connect, useServedRooms } from '../../test/support/realtime';
import { useFixture, useTestApi } from '../../test/support/suite';

interface Label {
  id: string;
  name: string;
  color: string;
}

describe('labels over HTTP', () => {
  const api = useTestApi();
  const served = useServedRooms(api);
  const acme = useFixture(() =>
    anOrganization(api, 'Acme')
      .withMember('manager', 'manager')
      .withMember('member')
      .withProject('Web')
      .withProject('Ops')
      .build(),
  );
  const globex = useFixture(() => anOrganization(api, 'Globex').withProject('Shop').build());

  const createLabel = async (name: string, color = '#d73a4a', by: TestUser = acme.manager, org = acme.id) => {
    const res = await api.http
      .post(`/api/v1/organizations/${org}/labels/`)
      .set(by.auth)
      .send({ name, color });
    expectStatus(res, 201);
    return res.body as Label;
  };
  const setLabels = (issueId: string, labelIds: string[], by: TestUser = acme.member) =>
    api.http.patch(`/api/v1/issues/${issueId}/`).set(by.auth).send({ label_ids: labelIds });
  const labelsOf = async (issueId: string) =>
    (await api.http.get(`/api/v1/issues/${issueId}/`).set(acme.member.auth).expect(200)).body
      .labels as Label[];
  const history = async (issueId: string) =>
    (await api.http.get(`/api/v1/issues/${issueId}/history/`).set(acme.member.auth).expect(200)).body
      .results as { type: string; actor: { id: string }; changes: Record<string, [unknown, unknown]> }[];

  describe('the organization’s labels', () => {
    it('creates a label: 201 { id, name, color } with Location, the name trimmed, the colour in lower case', async () => {
      const res = await api.http
        .post(`/api/v1/organizations/${acme.id}/labels/`)
        .set(acme.owner.auth)
        .send({ name: '  Needs design ', color: '#A1B2C3' });
      expectStatus(res, 201);
      expect(res.body).toEqual({ id: expect.any(String), name: 'Needs design', color: '#a1b2c3' });
      expect(res.headers.location).toBe(`/api/v1/labels/${res.body.id}/`);
      expect(res.headers['x-position']).toEqual(expect.any(String));
    });

    it('refuses a name the organization has, whatever its case, with 409; another organization may have it', async () => {
      await createLabel('Duplicate me');
      const again = await api.http
        .post(`/api/v1/organizations/${acme.id}/labels/`)
        .set(acme.owner.auth)
        .send({ name: 'DUPLICATE ME', color: '#000000' });
      expectProblem(again, 409);
      await createLabel('Duplicate me', '#000000', globex.owner, globex.id);
    });

    it('refuses a bad name or colour with 400 naming them, a member with 403, an outsider with 404', async () => {
      const bad = await api.http
        .post(`/api/v1/organizations/${acme.id}/labels/`)
        .set(acme.owner.auth)
        .send({ name: ' ', color: 'red' });
      expectProblem(bad, 400, ['name', 'color']);
      const member = await api.http
        .post(`/api/v1/organizations/${acme.id}/labels/`)
        .set(acme.member.auth)
        .send({ name: 'Mine', color: '#000000' });
      expectProblem(member, 403);
      const outsider = await api.http
        .post(`/api/v1/organizations/${acme.id}/labels/`)
        .set(globex.owner.auth)
        .send({ name: 'Theirs', color: '#000000' });
      expectProblem(outsider, 404);
    });

    it('lists them to members by name, whatever the case, in pages; 404 to anyone else', async () => {
      const org = await anOrganization(api, 'Listed').withMember('reader').build();
      for (const name of ['beta', 'Alpha', 'gamma', 'Delta'])
        await createLabel(name, '#123456', org.owner, org.id);
      const first = await api.http
        .get(`/api/v1/organizations/${org.id}/labels/?limit=3`)
        .set(org.reader.auth);
      expectStatus(first, 200);
      expect(first.body.results.map((l: Label) => l.name)).toEqual(['Alpha', 'beta', 'Delta']);
      expect(first.body.results[0]).toEqual({ id: expect.any(String), name: 'Alpha', color: '#123456' });
      const next = new URL(first.body.next);
      const rest = await api.http.get(`${next.pathname}${next.search}`).set(org.reader.auth);
      expect(rest.body).toEqual({ results: [expect.objectContaining({ name: 'gamma' })], next: null });
      expectProblem(await api.http.get(`/api/v1/organizations/${org.id}/labels/`).set(acme.member.auth), 404);
    });

    it('renames and recolours (owner, manager): 200 with the label; 409 for a taken name; 403 for a member', async () => {
      const label = await createLabel('Rename me');
      await createLabel('Taken');
      const renamed = await api.http
        .patch(`/api/v1/labels/${label.id}/`)
        .set(acme.owner.auth)
        .send({ name: 'Renamed', color: '#00FF00', id: label.id });
      expectStatus(renamed, 200);
      expect(renamed.body).toEqual({ id: label.id, name: 'Renamed', color: '#00ff00' });
      expectProblem(
        await api.http.patch(`/api/v1/labels/${label.id}/`).set(acme.manager.auth).send({ name: 'taken' }),
        409,
      );
      expectProblem(
        await api.http.patch(`/api/v1/labels/${label.id}/`).set(acme.member.auth).send({ name: 'X' }),
        403,
      );
      expectProblem(
        await api.http.patch(`/api/v1/labels/${label.id}/`).set(globex.owner.auth).send({ name: 'X' }),
        404,
      );
    });
  });

  describe('labels on issues', () => {
    it('sets labels with PATCH { label_ids } (a member), shows them by name, one event for the set', async () => {
      const [bug, ui] = [await createLabel('zz Bug'), await createLabel('aa UI', '#0000ff')];
      const issue = await createIssue(api, acme.owner, acme.projects.Web, { title: 'Labelled' });
      const res = await setLabels(issue.id, [bug.id, ui.id, bug.id]);
      expectStatus(res, 200);
      expect(res.body.labels).toEqual([ui, bug]);
      expect(res.headers.etag).toBe('"1"');
      const again = await setLabels(issue.id, [ui.id, bug.id]);
      expect(again.headers.etag).toBe('"1"');
      const entries = await history(issue.id);
      expect(entries.map((e) => [e.type, e.changes.labels])).toEqual([
        ['IssueCreated', [null, []]],
        ['IssueLabelsChanged', [[], [ui, bug]]],
      ]);
    });

    it('creates an issue with labels', async () => {
      const label = await createLabel('From the start');
      const issue = await createIssue(api, acme.member, acme.projects.Web, { label_ids: [label.id] });
      expect(issue.body.labels).toEqual([label]);
    });

    it("refuses unknown and another organization's labels with 400 naming label_ids", async () => {
      const foreign = await createLabel('Foreign', '#000000', globex.owner, globex.id);
      const issue = await createIssue(api, acme.owner, acme.projects.Web);
      expectProblem(await setLabels(issue.id, [foreign.id]), 400, ['label_ids']);
      expectProblem(await setLabels(issue.id, ['0190a6f1-0000-7000-8000-000000000bad']), 400, ['label_ids']);
      expectProblem(await setLabels(issue.id, ['not an id']), 400, ['label_ids']);
      expectProblem(await setLabels(issue.id, [7 as unknown as string]), 400, ['label_ids.0']);
      expect(await labelsOf(issue.id)).toEqual([]);
    });

    it('filters by ?label= (repeatable: issues with all of them), and refuses what is not a label id', async () => {
      const [a, b] = [await createLabel('Filter A'), await createLabel('Filter B')];
      const both = await createIssue(api, acme.owner, acme.projects.Web, { label_ids: [a.id, b.id] });
      const onlyA = await createIssue(api, acme.owner, acme.projects.Ops, { label_ids: [a.id] });
      await createIssue(api, acme.owner, acme.projects.Web);
      const ids = async (query: string) =>
        (await api.http.get(`/api/v1/issues/?${query}`).set(acme.member.auth).expect(200)).body.results.map(
          (i: { id: string }) => i.id,
        );
      expect(await ids(`label=${a.id}`)).toEqual([onlyA.id, both.id]);
      expect(await ids(`label=${a.id}&label=${b.id}`)).toEqual([both.id]);
      expect(await ids(`label=${b.id}&project=${acme.projects.Ops}`)).toEqual([]);
      // Another organization's member sees nothing by the label.
      const theirs = await api.http.get(`/api/v1/issues/?label=${a.id}`).set(globex.owner.auth).expect(200);
      expect(theirs.body.results).toEqual([]);
      expectProblem(await api.http.get('/api/v1/issues/?label=nope').set(acme.member.auth), 400, ['label']);
    });

    it('shows a rename on every issue at once, and the issues keep their revisions', async () => {
      const label = await createLabel('Before');
      const issues = await Promise.all(
        [acme.projects.Web, acme.projects.Ops, acme.projects.Web].map((project) =>
          createIssue(api, acme.owner, project, { label_ids: [label.id] }),
        ),
      );
      const res = await api.http
        .patch(`/api/v1/labels/${label.id}/`)
        .set(acme.manager.auth)
        .send({ name: 'After' });
      expectStatus(res, 200);
      for (const issue of issues) {
        const read = await api.http.get(`/api/v1/issues/${issue.id}/`).set(acme.member.auth).expect(200);
        expect(read.body.labels).toEqual([{ id: label.id, name: 'After', color: label.color }]);
        expect(read.headers.etag).toBe(issue.etag);
      }
      const listed = await api.http
        .get(`/api/v1/issues/?label=${label.id}`)
        .set(acme.member.auth)
        .expect(200);
      expect(listed.body.results.map((i: { labels: Label[] }) => i.labels[0]!.name)).toEqual([
        'After',
        'After',
        'After',
      ]);
    });

    it('takes a deleted label off every issue: at once in views, then by one event per issue, exactly once', async () => {
      const [doomed, kept] = [await createLabel('Doomed'), await createLabel('Kept')];
      const issues = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          createIssue(api, acme.owner, i % 2 ? acme.projects.Web : acme.projects.Ops, {
            label_ids: i === 3 ? [kept.id] : [doomed.id, kept.id],
          }),
        ),
      );
      const socket = connect(served.wsUrl(`/ws/projects/${acme.projects.Ops}/?token=${acme.member.access}`));
      await socket.opened;
      await sleep(100);
      const deleted = await api.http.delete(`/api/v1/labels/${doomed.id}/`).set(acme.manager.auth);
      expectStatus(deleted, 204);
      // At once: the read models show no deleted label, the list no longer has it.
      for (const issue of issues) expect(await labelsOf(issue.id)).toEqual([kept]);
      const listed = await api.http
        .get(`/api/v1/organizations/${acme.id}/labels/?limit=100`)
        .set(acme.member.auth);
      expect(listed.body.results.map((l: Label) => l.id)).not.toContain(doomed.id);
      expectProblem(
        await api.http.patch(`/api/v1/labels/${doomed.id}/`).set(acme.manager.auth).send({ name: 'Back' }),
        404,
      );
      // Then by events: one IssueLabelsChanged per issue that had it, on behalf of whoever deleted it.
      const removals = async () => {
        const { rows } = await api.pool.query<{ issue: string; n: number }>(
          `SELECT data->>'issueId' AS issue, count(*)::int AS n FROM events
           WHERE type = 'IssueLabelsChanged' AND data->'previousLabelIds' ? $1 AND NOT data->'labelIds' ? $1
           GROUP BY 1`,
          [doomed.id],
        );
        return new Map(rows.map((r) => [r.issue, r.n]));
      };
      await eventually(async () => expect((await removals()).size).toBe(3));
      // The job again, twice at once: nothing more.
      await Promise.all([runJob(api, 'label-removals'), runJob(api, 'label-removals')]);
      expect(await removals()).toEqual(new Map(issues.slice(0, 3).map((i) => [i.id, 1])));
      const last = (await history(issues[0]!.id)).at(-1)!;
      expect(last).toMatchObject({
        type: 'IssueLabelsChanged',
        actor: { id: acme.manager.id },
        changes: { labels: [[doomed, kept], [kept]] },
      });
      const status = await api.pool.query('SELECT status, released FROM label_removals WHERE label_id = $1', [
        doomed.id,
      ]);
      expect(status.rows).toEqual([{ status: 'done', released: 3 }]);
      // The Ops room heard of it: issue.updated with changes.labels (two of the issues are in Ops).
      const updates = (await socket.waitFor(2)).filter((m) => m.type === 'issue.updated');
      expect(updates.map((m) => m.changes)).toEqual([
        { labels: [[doomed, kept], [kept]] },
        { labels: [[doomed, kept], [kept]] },
      ]);
      expect(updates[0]).toMatchObject({ issue: { labels: [kept] } });
      await socket.close();
    });

    it('shows labels as they were with ?as_of=, and a restore brings back only labels that still exist', async () => {
      const [gone, stays] = [await createLabel('Gone later'), await createLabel('Stays')];
      const issue = await createIssue(api, acme.owner, acme.projects.Web, { label_ids: [gone.id, stays.id] });
      const renamed = await api.http
        .patch(`/api/v1/labels/${stays.id}/`)
        .set(acme.owner.auth)
        .send({ name: 'Stayed' });
      expectStatus(renamed, 200);
      await api.http.delete(`/api/v1/issues/${issue.id}/`).set(acme.owner.auth).expect(204);
      await api.http.delete(`/api/v1/labels/${gone.id}/`).set(acme.owner.auth).expect(204);
      const then = await api.http
        .get(`/api/v1/issues/${issue.id}/?as_of=${issue.position}`)
        .set(acme.member.auth)
        .expect(200);
      expect(then.body.labels).toEqual([gone, stays]);
      const restored = await api.http
        .post(`/api/v1/issues/${issue.id}/restore/`)
        .set(acme.owner.auth)
        .send({});
      expectStatus(restored, 200);
      expect(restored.body.labels).toEqual([{ ...stays, name: 'Stayed' }]);
    });
  });
});
