/**
 * The admin view of the projections: every read model and reaction with its checkpoint, lag and state, and the
 * rebuild of a read model into shadow tables, swapped in while reads and writes go on (docs/projector.md).
 */
import type { CredentialStore } from '../../accounts/credentials';
import type { Commands } from '../../commands';
import type { Projection } from '../../projections/projection';
import {
  type BackgroundRebuilds,
  RebuildStoppedError,
} from '../../projections/runner/rebuild/background-rebuilds';
import { RebuildInProgressError } from '../../projections/runner/rebuild/rebuild-lock';
import type { ProjectionOverview } from '../../projections/runner/rebuild/rebuild-status';
import { commandContext } from '../context';
import { z } from '../openapi';
import { HttpError } from '../problem';
import { type RouteSpec, route } from '../routing';
import { requireAdmin } from './admin';
import { listOf } from './shared';

export const PROJECTIONS_PATH = '/api/v1/admin/projections/';

export interface AdminProjectionsDeps {
  credentials: Pick<CredentialStore, 'findById'>;
  commands: Pick<Commands, 'recordAdminAction'>;
  /** The rebuildable read models. */
  readModels: readonly Projection[];
  /** Every read model and reaction, with rebuild progress (`describeProjections`). */
  overview(): Promise<ProjectionOverview[]>;
  rebuilds: Pick<BackgroundRebuilds, 'start'>;
}

const rebuildSchema = z
  .object({
    position: z.string().openapi({ description: 'How far the new (shadow) tables got' }),
    events_applied: z.number().int(),
    target: z.string().openapi({ description: 'The head of the log now: where the rebuild heads' }),
    percent: z.number().openapi({ description: 'Along the log, 0 to 100' }),
    started_at: z.string(),
    updated_at: z.string().openapi({ description: 'When its last batch committed' }),
    events_per_second: z.number().nullable(),
    eta_seconds: z.number().nullable().openapi({ description: 'At the pace so far; null while interrupted' }),
  })
  .openapi('ProjectionRebuild');

const projectionSchema = z
  .object({
    name: z
      .string()
      .openapi({ description: 'A read model (`users`), or a reaction (`reaction:notifications`)' }),
    kind: z.enum(['read_model', 'reaction']),
    checkpoint: z.string().openapi({ description: 'The position its tables reflect' }),
    lag_events: z
      .number()
      .int()
      .openapi({ description: 'Events in the log after the checkpoint (up to 10 000)' }),
    lag_ms: z
      .number()
      .int()
      .openapi({ description: 'Age of the oldest event not yet applied; 0 when caught up' }),
    state: z.enum(['live', 'rebuilding', 'interrupted']).openapi({
      description:
        '`rebuilding`: a process is rebuilding it now; `interrupted`: a rebuild stopped midway (the next one ' +
        'resumes it). The live tables are served and kept current in every state',
    }),
    events_applied: z.number().int(),
    updated_at: z.string().nullable(),
    rebuildable: z.boolean(),
    rebuild: rebuildSchema.nullable(),
  })
  .openapi('Projection');

const startedSchema = z
  .object({
    name: z.string(),
    state: z.literal('rebuilding'),
    progress: z.string().openapi({ description: 'Where to watch it: the projections list' }),
  })
  .openapi('ProjectionRebuildStarted');

const nameParams = z.object({
  name: z.string().min(1).max(100).openapi({ description: 'A read model, e.g. users' }),
});

const wire = (p: ProjectionOverview) => ({
  name: p.name,
  kind: p.kind,
  checkpoint: p.checkpoint,
  lag_events: p.lagEvents,
  lag_ms: Math.round(p.lagMs),
  state: p.state,
  events_applied: p.eventsApplied,
  updated_at: p.updatedAt?.toISOString() ?? null,
  rebuildable: p.rebuildable,
  rebuild: p.rebuild && {
    position: p.rebuild.position,
    events_applied: p.rebuild.eventsApplied,
    target: p.rebuild.target,
    percent: p.rebuild.percent,
    started_at: p.rebuild.startedAt.toISOString(),
    updated_at: p.rebuild.updatedAt.toISOString(),
    events_per_second: p.rebuild.eventsPerSecond,
    eta_seconds: p.rebuild.etaSeconds,
  },
});

const listProjectionsRoute = (deps: AdminProjectionsDeps) =>
  route({
    method: 'get',
    path: PROJECTIONS_PATH,
    summary: 'The read models and reactions: checkpoint, lag, state, rebuild progress (admins)',
    tag: 'admin',
    auth: true,
    before: [requireAdmin(deps.credentials)],
    responses: {
      200: {
        description: 'Read models first, then reactions, in one page',
        schema: listOf(projectionSchema, 'ProjectionList'),
      },
      403: { description: 'Not an admin' },
    },
    async handler({ res }) {
      res.json({ results: (await deps.overview()).map(wire), next: null });
    },
  });

const rebuildRoute = (deps: AdminProjectionsDeps) =>
  route({
    method: 'post',
    path: '/api/v1/admin/projections/{name}/rebuild/',
    summary:
      'Rebuild a read model from the start of the log into new tables and swap them in, while reads and writes go on (admins)',
    tag: 'admin',
    auth: true,
    params: nameParams,
    body: z.object({}).openapi('RebuildProjectionRequest'),
    before: [requireAdmin(deps.credentials)],
    responses: {
      202: { description: 'Started in the background: watch the projections list', schema: startedSchema },
      403: { description: 'Not an admin' },
      404: { description: 'No projection of that name' },
      409: { description: 'It is being rebuilt already (by any process), or it is a reaction' },
    },
    async handler({ params, req, res }) {
      const projection = deps.readModels.find((p) => p.name === params.name);
      if (!projection) {
        if (params.name.startsWith('reaction:'))
          throw new HttpError(
            409,
            'Conflict',
            `${params.name} is a reaction, not a read model: its tables record what it did (notifications sent, ` +
              'removals processed), so replaying the log would do it again; it cannot be rebuilt',
          );
        throw new HttpError(404, 'Not found', `no read model named ${params.name}`);
      }
      const context = commandContext(req, res);
      const recorded: { position: string | null } = { position: null };
      try {
        await deps.rebuilds.start(projection, async () => {
          const result = await deps.commands.recordAdminAction(
            {
              adminId: context.actorId,
              action: 'projection.rebuild_requested',
              details: { projection: projection.name },
            },
            { actorId: context.actorId, correlationId: context.correlationId, commandId: context.commandId },
          );
          recorded.position = result.position;
        });
      } catch (error) {
        if (error instanceof RebuildInProgressError)
          throw new HttpError(
            409,
            'Conflict',
            `${projection.name} is being rebuilt already; watch ${PROJECTIONS_PATH}`,
          );
        if (error instanceof RebuildStoppedError)
          throw new HttpError(503, 'Service unavailable', 'this server is shutting down; ask another', {
            headers: { 'Retry-After': '5' },
          });
        throw error;
      }
      if (recorded.position) res.setHeader('X-Position', recorded.position);
      res
        .status(202)
        .location(PROJECTIONS_PATH)
        .json({ name: projection.name, state: 'rebuilding', progress: PROJECTIONS_PATH });
    },
  });

export const adminProjectionRoutes = (deps: AdminProjectionsDeps): RouteSpec[] => [
  listProjectionsRoute(deps),
  rebuildRoute(deps),
];
