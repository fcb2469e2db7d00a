/**
 * The admin command line as an operator runs it: `tsx scripts/cli.ts …` in a process of its own, on the suite's
 * database (DATABASE_URL), while the suite's system (API, projector, reactor) runs beside it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventually } from '../../test/support/eventually';
import { anOrganization, createIssue } from '../../test/support/fixtures';
import { expectStatus } from '../../test/support/http';
import { useFixture, useTestApi } from '../../test/support/suite';
import { adminStream, SYSTEM_ADMIN_ID } from '../domain/admin';
import { connectionOf } from '../projections/runner/pg-connection';
import { takeRebuildLock } from '../projections/runner/rebuild/rebuild-lock';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..', '..');
/** tsx's loader by its file URL: the CLI runs in an empty folder of its own (no .env of the repository there). */
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the admin command line', () => {
  const api = useTestApi();
  const acme = useFixture(() => anOrganization(api, 'Acme').withProject('Web').build());
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tt-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const start = (args: string[]): ChildProcess =>
    spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'scripts', 'cli.ts'), ...args], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: api.database.url, PASSWORD_HASH_COST: '10', LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  const collect = (child: ChildProcess): { output: Ran; done: Promise<Ran> } => {
    const output: Ran = { code: null, stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
    const done = new Promise<Ran>((resolve) =>
      child.once('close', (code) => {
        output.code = code;
        resolve(output);
      }),
    );
    return { output, done };
  };
  const cli = (args: string[], stdin = ''): Promise<Ran> => {
    const child = start(args);
    const { done } = collect(child);
    child.stdin!.end(stdin);
    return done;
  };
  /** Runs the calls a few at a time: each is a Node process of its own. */
  const cliAll = async (calls: string[][]): Promise<Ran[]> => {
    const results: Ran[] = [];
    for (let i = 0; i < calls.length; i += 4)
      results.push(...(await Promise.all(calls.slice(i, i + 4).map((args) => cli(args)))));
    return results;
  };
  const adminActions = async () =>
    (await api.system.store.readStream(adminStream(SYSTEM_ADMIN_ID))).map(
      (e) => e.data as { action: string; details: Record<string, unknown> },
    );
  const caughtUp = async () => {
    expect(await api.system.waiter.waitFor(await api.system.store.headPosition(), 10_000)).toBe(true);
  };

  it('explains itself and each command with --help (0), and answers a wrong call with its usage (2)', async () => {
    const commands = [
      ['admin', 'create'],
      ['admin', 'promote'],
      ['admin', 'demote'],
      ['projections'],
      ['rebuild'],
      ['tail'],
      ['export'],
      ['stream'],
    ];
    const [tool, admin, ...each] = await cliAll([
      ['--help'],
      ['admin', '--help'],
      ...commands.map((words) => [...words, '--help']),
    ]);
    expect(tool).toEqual({
      code: 0,
      stdout: expect.stringContaining('usage: npm run cli -- <command>'),
      stderr: '',
    });
    for (const words of commands) expect(tool!.stdout).toContain(`  ${words.join(' ')} `.trimEnd());
    expect(admin!.stdout).toContain('admin promote <username>');
    for (const [i, words] of commands.entries()) {
      expect(each[i]!.code).toBe(0);
      expect(each[i]!.stdout).toMatch(new RegExp(`^usage: npm run cli -- ${words.join(' ')}`));
    }

    const wrong = await cliAll([
      [],
      ['frobnicate'],
      ['projections', '--colour'],
      ['stream'],
      ['admin', 'create', 'ann'],
      ['rebuild', 'nope'],
      ['rebuild', 'reaction:notifications'],
      ['export', '--from', 'yesterday'],
      ['tail', '--after', 'the start'],
    ]);
    for (const ran of wrong)
      expect({ code: ran.code, stderr: ran.stderr.length > 0 }).toEqual({ code: 2, stderr: true });
    expect(wrong[1]!.stderr).toContain('unknown command "frobnicate"');
    expect(wrong[2]!.stderr).toContain("Unknown option '--colour'");
    expect(wrong[3]!.stderr).toContain('usage: npm run cli -- stream <stream>');
    expect(wrong[4]!.stderr).toContain('--email is required');
    expect(wrong[5]!.stderr).toContain('no read model named "nope"');
    expect(wrong[6]!.stderr).toContain('reaction:notifications is a reaction');
    expect(wrong[7]!.stderr).toContain('--from: must be an ISO 8601 time');
    expect(wrong[8]!.stderr).toContain('--after: must be a position');
  }, 120_000);

  it('creates an admin, demotes and promotes them, recording each change', async () => {
    const created = await cli(
      ['admin', 'create', 'root_ann', '--email', 'root.ann@example.com', '--password-stdin'],
      'a long admin password\n',
    );
    expect(created).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^created admin root_ann \(/),
      stderr: '',
    });
    const login = await api.http
      .post('/api/v1/auth/login/')
      .send({ username: 'root_ann', password: 'a long admin password' });
    expectStatus(login, 200);
    const auth = { Authorization: `Bearer ${login.body.access}` };
    const isAdmin = async () => (await api.http.get('/api/v1/me/').set(auth)).body.is_admin as boolean;
    expect(await isAdmin()).toBe(true);

    const demoted = await cli(['admin', 'demote', 'root_ann']);
    expect(demoted.code).toBe(0);
    expect(demoted.stdout).toContain('root_ann');
    expect(await isAdmin()).toBe(false);
    expect((await api.http.get('/api/v1/admin/projections/').set(auth)).status).toBe(403);
    expect((await cli(['admin', 'demote', 'root_ann'])).stdout).toContain('nothing changed');

    expect((await cli(['admin', 'promote', 'root_ann'])).code).toBe(0);
    expect(await isAdmin()).toBe(true);

    const userId = (await api.system.credentials.findByUsername('root_ann'))!.userId;
    const granted = { userId, username: 'root_ann', operator: expect.any(String) };
    expect((await adminActions()).filter((a) => a.action.startsWith('admin.'))).toEqual([
      { adminId: SYSTEM_ADMIN_ID, action: 'admin.granted', details: { ...granted, created: true } },
      { adminId: SYSTEM_ADMIN_ID, action: 'admin.revoked', details: granted },
      { adminId: SYSTEM_ADMIN_ID, action: 'admin.granted', details: granted },
    ]);

    const taken = await cli(
      ['admin', 'create', 'ROOT_ANN', '--email', 'x@example.com', '--password-stdin'],
      'pw pw pw pw',
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('taken');
    const nobody = await cli(['admin', 'promote', 'nobody_here']);
    expect({ code: nobody.code, stderr: nobody.stderr }).toEqual({
      code: 1,
      stderr: 'admin promote: no user named nobody_here\n',
    });
  });

  it('shows every projection with its state, checkpoint and lag', async () => {
    await caughtUp();
    const shown = await cli(['projections']);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+STATE\s+CHECKPOINT\s+LAG\s+LAG TIME\s+APPLIED\s+REBUILD$/);
    for (const name of ['users', 'organizations', 'project_rooms', 'event_log'])
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^${name}\\s+read model\\s+live\\s+[0-9a-f-]{33}\\s+\\d+`)),
      );
    expect(lines).toContainEqual(expect.stringMatching(/^reaction:notifications\s+reaction\s+live/));

    const json = await cli(['projections', '--json']);
    const listed = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(listed.find((p) => p.name === 'project_rooms')).toEqual(
      expect.objectContaining({ kind: 'read_model', state: 'live', rebuildable: true, rebuild: null }),
    );
  });

  it('rebuilds a read model with the request recorded, and refuses while another process rebuilds it', async () => {
    const release = await takeRebuildLock(connectionOf(api.knex), 'organizations');
    let refused: Ran;
    try {
      refused = await cli(['rebuild', 'organizations']);
    } finally {
      await release();
    }
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('another process is rebuilding organizations now');

    const before = await api.knex('organizations').select().orderBy('id');
    const rebuilt = await cli(['rebuild', 'organizations', '--batch-size', '7']);
    expect(rebuilt).toEqual({
      code: 0,
      stdout: expect.stringMatching(
        /^rebuilt organizations: \d+ events applied in [\d.]+ s, live at [0-9a-f-]{33}\n$/,
      ),
      stderr: '',
    });
    expect(await api.knex('organizations').select().orderBy('id')).toEqual(before);
    const requested = (await adminActions()).filter((a) => a.action === 'projection.rebuild_requested');
    expect(requested.map((a) => a.details)).toEqual([
      { projection: 'organizations', fresh: false, operator: expect.any(String) },
    ]);
  });

  it('tails the log: prints each new event as it comes, as filtered, until interrupted', async () => {
    await caughtUp();
    const child = start(['tail', '--type', 'IssueCreated', '--type', 'IssueStatusChanged']);
    const { output, done } = collect(child);
    await eventually(() => expect(output.stderr).toContain('following the log after'), 20_000);
    const issue = await createIssue(api, acme.owner, acme.projects.Web, { title: 'Tailed' });
    await api.http
      .patch(`/api/v1/issues/${issue.id}/`)
      .set(acme.owner.auth)
      .send({ status: 'done', priority: 'high' })
      .expect(200);
    await eventually(() => {
      const lines = output.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        new RegExp(
          `^[0-9a-f-]{33}  \\S+Z  issue-${issue.id}@0  IssueCreated  by ${acme.owner.username}  \\{.*"title":"Tailed"`,
        ),
      );
      expect(lines[1]).toMatch(
        new RegExp(`issue-${issue.id}@\\d  IssueStatusChanged  by ${acme.owner.username}`),
      );
    }, 20_000);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
    expect(output.stdout).not.toContain('IssuePriorityChanged');
  });

  it('exports the log to a file as NDJSON, oldest first, recording the export', async () => {
    await caughtUp();
    const { rows } = await api.knex.raw<{ rows: { n: number }[] }>('SELECT count(*)::int AS n FROM events');
    const file = path.join(dir, 'log.ndjson');
    const exported = await cli(['export', '--out', file]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain(`exported ${rows[0]!.n} events to ${file}`);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(rows[0]!.n);
    const events = lines.map(
      (line) => JSON.parse(line) as { position: string; type: string; stream: string },
    );
    expect(events.map((e) => e.position)).toEqual(events.map((e) => e.position).sort());
    expect(events[0]).toEqual(
      expect.objectContaining({ stream: expect.any(String), revision: 0, occurred_at: expect.any(String) }),
    );
    expect((await adminActions()).at(-1)).toEqual({
      adminId: SYSTEM_ADMIN_ID,
      action: 'events.exported',
      details: { out: file, operator: expect.any(String) },
    });

    const onlyCreated = await cli([
      'export',
      '--type',
      'IssueCreated',
      '--stream',
      `project-${acme.projects.Web}`,
    ]);
    expect(onlyCreated).toEqual({ code: 0, stdout: '', stderr: 'exported 0 events\n' });
    const created = await cli(['export', '--type', 'OrganizationCreated']);
    expect(
      created.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(expect.arrayContaining(['OrganizationCreated']));
  });

  it("prints one stream's events with their metadata", async () => {
    const issue = await createIssue(api, acme.owner, acme.projects.Web, { title: 'Streamed' });
    await api.http
      .patch(`/api/v1/issues/${issue.id}/`)
      .set(acme.owner.auth)
      .send({ title: 'Renamed' })
      .expect(200);
    await caughtUp();
    const shown = await cli(['stream', `issue-${issue.id}`]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      /^#0 {2}IssueCreated {2}at [0-9a-f-]{33}\n {2}occurred .*Z, recorded .*Z, schema version \d+\n/,
    );
    expect(shown.stdout).toContain(`  actor ${acme.owner.username} (${acme.owner.id})`);
    expect(shown.stdout).toMatch(/\n {2}correlation \S+, causation \S+, command \S+, id \S+\n/);
    expect(shown.stdout).toMatch(/#1 {2}IssueTitleChanged/);
    const json = await cli(['stream', `issue-${issue.id}`, '--json']);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).revision),
    ).toEqual([0, 1]);
    const none = await cli(['stream', 'issue-00000000-0000-7000-8000-000000000001']);
    expect(none.code).toBe(1);
  });
});
