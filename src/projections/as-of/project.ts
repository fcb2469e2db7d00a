import type { Knex } from 'knex';
import type { ProjectEvent } from '../../domain';
import { projectStream } from '../../domain';
import type { StreamReader } from '../../eventstore/port';
import { roleOf } from '../organizations/roles';
import { type ProjectRecord, type ProjectView, evolveProject, projectView } from '../projects/record';
import { isUuid } from '../shared/ids';
import { type AsOf, asPoint, upTo } from './point';

/**
 * The project as it was at the point, folded from its stream with the projection's own `evolve`; null when it did
 * not exist then, or when the viewer is not a member of its organization now.
 */
export const projectAsOf = async (
  db: Knex,
  streams: StreamReader,
  projectId: string,
  viewerId: string,
  asOf: string | AsOf,
): Promise<{ project: ProjectView; revision: number } | null> => {
  const point = asPoint(asOf);
  if (!isUuid(projectId)) return null;
  const recorded = await streams.readStream(projectStream(projectId));
  const first = recorded[0]?.data as ProjectEvent['data'] | undefined;
  if (first === undefined || (await roleOf(db, first.organizationId, viewerId)) === null) return null;
  let record: ProjectRecord | undefined;
  for (const { recorded: r } of upTo(
    point,
    recorded.map((r) => ({ recorded: r })),
  )) {
    record = evolveProject(record, { event: { type: r.type, data: r.data } as ProjectEvent, recorded: r });
  }
  return record === undefined ? null : { project: projectView(record), revision: record.revision };
};
