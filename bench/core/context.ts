/**
 * What the rows of one run share: the sizes, the progress line, the run's main database and the app on it, the
 * hello-world baseline, fixtures and anything a row memoizes for another (the peak create rate, the big list).
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { Api, type ApiUser } from './api';
import { type AppProcess, startApp } from './app';
import type { LoadTarget } from './load';
import { type NodeProcess, startNode } from './processes';
import type { Progress } from './progress';
import { settle } from './settle';
import { type BenchDatabase, benchKnex, createDatabase, runName, type Services } from './services';
import type { Sizes } from './sizes';

export interface Fixtures {
  api: Api;
  /** Owns `organization`, with `project` in it. */
  owner: ApiUser;
  organization: string;
  project: string;
  /** `POST /api/v1/issues/` in `project`, as the owner. */
  createIssue: LoadTarget;
}

export interface Context {
  sizes: Sizes;
  progress: Progress;
  services: Services;
  /** `bench_<time>_<random>`: the prefix of every database and channel of the run. */
  runName: string;
  /** The app's database. */
  database: BenchDatabase;
  /** On the app's database, for the bench's own reads and bulk writes (after `app()` migrated it). */
  knex: Knex;
  /** Where the app's log goes. */
  logDir: string;
  /** The JWT secret of every app process of the run. */
  jwtSecret: string;
  app(): Promise<AppProcess>;
  /** The express hello-world baseline's URL. */
  hello(): Promise<string>;
  /** Its process id (for its CPU time). */
  helloPid(): Promise<number>;
  fixtures(): Promise<Fixtures>;
  /** Makes a value once per run: the first caller makes it, the others wait for it. */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** Another fresh database of the run, dropped at the end. */
  freshDatabase(suffix: string): Promise<BenchDatabase>;
  /** Runs at `close()`, last registered first. */
  onClose(fn: () => Promise<unknown>): void;
  close(): Promise<void>;
}

export const createIssueTarget = (baseUrl: string, owner: ApiUser, project: string): LoadTarget => ({
  url: `${baseUrl}/api/v1/issues/`,
  method: 'POST',
  headers: { 'content-type': 'application/json', ...owner.auth },
  body: JSON.stringify({ project, title: 'Bench issue', priority: 'high' }),
});

const makeFixtures = async (app: AppProcess): Promise<Fixtures> => {
  const api = new Api(app.url);
  const owner = await api.user('owner');
  const organization = await api.organization(owner, 'Bench');
  const project = await api.project(owner, organization, 'Bench');
  return { api, owner, organization, project, createIssue: createIssueTarget(app.url, owner, project) };
};

const startHello = async (): Promise<NodeProcess> =>
  startNode({
    name: 'hello world',
    script: 'bench/servers/hello.ts',
    env: { ...process.env, NODE_ENV: 'production' },
    ready: /listening (\d+)/,
  });

interface ContextOptions {
  sizes: Sizes;
  progress: Progress;
  services: Services;
  logDir: string;
}

export const createContext = async (options: ContextOptions): Promise<Context> => {
  const name = runName();
  const database = await createDatabase(options.services.serverUrl, name);
  const knex = benchKnex(database.url);
  const closers: Array<() => Promise<unknown>> = [database.drop, () => knex.destroy()];
  const memo = new Map<string, Promise<unknown>>();
  const helloProcess = (): Promise<NodeProcess> =>
    ctx.once('hello', async () => {
      const hello = await startHello();
      ctx.onClose(() => hello.stop());
      return hello;
    });
  const ctx: Context = {
    ...options,
    runName: name,
    jwtSecret: randomBytes(32).toString('hex'),
    database,
    knex,
    once<T>(key: string, make: () => Promise<T>) {
      if (!memo.has(key)) memo.set(key, make());
      return memo.get(key) as Promise<T>;
    },
    app: () =>
      ctx.once('app', async () => {
        ctx.progress.step('starting the app');
        const app = await startApp(
          database.url,
          options.services.redisUrl,
          ctx.jwtSecret,
          `${options.logDir}/app.log`,
        );
        ctx.onClose(() => app.stop());
        return app;
      }),
    hello: async () => `http://127.0.0.1:${(await helloProcess()).ready[1]}/`,
    helloPid: async () => (await helloProcess()).pid,
    fixtures: () =>
      ctx.once('fixtures', async () => {
        const fixtures = await makeFixtures(await ctx.app());
        await settle(ctx, 'the fixtures');
        return fixtures;
      }),
    async freshDatabase(suffix) {
      const fresh = await createDatabase(options.services.serverUrl, `${name}_${suffix}`);
      ctx.onClose(fresh.drop);
      return fresh;
    },
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      for (const fn of closers.reverse()) {
        await fn().catch((error: unknown) => options.progress.note(`cleanup: ${(error as Error).message}`));
      }
    },
  };
  return ctx;
};
