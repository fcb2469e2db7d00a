/**
 * The admin endpoints: jobs (list, run one now). Admins are users with `is_admin`; `requireAdmin` refuses anyone
 * else with 403 after authentication (401 before it), and serves every admin route.
 */
import type { RequestHandler } from 'express';
import type { CredentialStore } from '../../accounts/credentials';
import type { JobAdmin, JobStatus } from '../../jobs/job';
import { JobStoreUnavailableError } from '../../jobs/scheduler/scheduler';
import { principal } from '../auth/authenticate';
import { z } from '../openapi';
import { HttpError } from '../problem';
import { type RouteSpec, route } from '../routing';
import { listOf } from './shared';

export interface AdminDeps {
  credentials: Pick<CredentialStore, 'findById'>;
  jobs: JobAdmin;
}

/**
 * After `authenticate`: the caller must be an admin. Read from the credentials on every request, so a demotion
 * takes effect at once rather than when the access token expires.
 */
export const requireAdmin =
  (credentials: Pick<CredentialStore, 'findById'>): RequestHandler =>
  async (req, _res, next) => {
    const caller = await credentials.findById(principal(req).id);
    if (!caller?.isAdmin) throw new HttpError(403, 'Forbidden', 'only admins may do this');
    next();
  };

const jobSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    schedule: z.string().nullable().openapi({
      description: 'When it runs by itself (a cron expression in UTC, or an interval); null: on demand only',
    }),
    last_run_at: z.string().nullable(),
    last_finished_at: z.string().nullable(),
    next_run_at: z.string().nullable().openapi({
      description: 'Its next run: by its schedule, a retry, or a run asked for and not started yet',
    }),
    failures: z.number().int().openapi({
      description: 'Failed attempts of its latest run since it last succeeded (0 once one succeeds)',
    }),
    last_failure: z.string().nullable().openapi({ description: 'The message of its most recent failure' }),
    running: z.boolean(),
  })
  .openapi('Job');
const queuedSchema = z.object({ name: z.string(), queued: z.literal(true) }).openapi('JobRunQueued');
const jobParams = z.object({
  name: z.string().min(1).max(100).openapi({ description: 'The job name, e.g. cleanup' }),
});

const wire = (job: JobStatus) => ({
  name: job.name,
  description: job.description,
  schedule: job.schedule,
  last_run_at: job.lastRunAt,
  last_finished_at: job.lastFinishedAt,
  next_run_at: job.nextRunAt,
  failures: job.failures,
  last_failure: job.lastFailure,
  running: job.running,
});

/** The job store did not answer: the client may retry. */
const onJobStore = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    if (error instanceof JobStoreUnavailableError)
      throw new HttpError(503, 'Service unavailable', 'the job store is unavailable; try again shortly', {
        headers: { 'Retry-After': '5' },
      });
    throw error;
  }
};

const listJobsRoute = (deps: AdminDeps) =>
  route({
    method: 'get',
    path: '/api/v1/admin/jobs/',
    summary: 'The jobs: schedule, last run, next run, failures (admins)',
    tag: 'admin',
    auth: true,
    before: [requireAdmin(deps.credentials)],
    responses: {
      200: { description: 'Every job, in a list of one page', schema: listOf(jobSchema, 'JobList') },
      403: { description: 'Not an admin' },
    },
    async handler({ res }) {
      const jobs = await onJobStore(() => deps.jobs.list());
      res.json({ results: jobs.map(wire), next: null });
    },
  });

const runJobRoute = (deps: AdminDeps) =>
  route({
    method: 'post',
    path: '/api/v1/admin/jobs/{name}/run/',
    summary: 'Run a job now (admins); a run asked for while another waits to start joins it',
    tag: 'admin',
    auth: true,
    params: jobParams,
    body: z.object({}).openapi('RunJobRequest'),
    before: [requireAdmin(deps.credentials)],
    responses: {
      202: { description: 'Queued: a scheduler runs it shortly', schema: queuedSchema },
      403: { description: 'Not an admin' },
      404: { description: 'No job of that name' },
    },
    async handler({ params, res }) {
      const queued = await onJobStore(() => deps.jobs.runNow(params.name));
      if (!queued) throw new HttpError(404, 'Not found', `no job named ${params.name}`);
      res.status(202).location('/api/v1/admin/jobs/').json({ name: params.name, queued: true });
    },
  });

export const adminRoutes = (deps: AdminDeps): RouteSpec[] => [listJobsRoute(deps), runJobRoute(deps)];

/** For a system built without a scheduler: no jobs to list or run. */
export const NO_JOBS: JobAdmin = {
  list: async () => [],
  runNow: async () => false,
};
