/**
 * An organization whose stream holds `membershipEvents` membership events: one member added and removed through
 * the API (real events), then that pair copied into the stream, revision after revision, until the count is reached;
 * the projector and the reactions take them like any other events, and the bench waits until they have.
 */
import type { Context } from '../core/context';
import { settle } from '../core/settle';

export interface AgedOrganization {
  organization: string;
  project: string;
  membershipEvents: number;
}

const COPY_PAIRS = `
  INSERT INTO events (stream_id, revision, event_id, type, data, metadata)
  SELECT t.stream_id, t.revision + 2 * i, gen_random_uuid(), t.type, t.data, t.metadata
  FROM generate_series(1, ?::int) AS i
  CROSS JOIN (SELECT stream_id, revision, type, data, metadata FROM events
              WHERE stream_id = ? AND revision > ? - 2) AS t
  ORDER BY i, t.revision`;

export const agedOrganization = (ctx: Context): Promise<AgedOrganization> =>
  ctx.once('agedOrganization', async () => {
    const { api, owner } = await ctx.fixtures();
    const organization = await api.organization(owner, 'Aged');
    const project = await api.project(owner, organization, 'Aged');
    const leaver = await api.user('leaver');
    await api.addMember(owner, organization, leaver.id);
    await api.removeMember(owner, organization, leaver.id);
    const stream = `organization-${organization}`;
    const last = Number(
      (await ctx.knex('events').where({ stream_id: stream }).max('revision as r').first())?.r,
    );
    const pairs = Math.max(0, Math.ceil(ctx.sizes.membershipEvents / 2) - 1);
    ctx.progress.step(`copying ${pairs} add/remove pairs into the organization's stream`);
    await ctx.knex.raw(COPY_PAIRS, [pairs, stream, last]);
    await ctx.knex.raw(`SELECT pg_notify('tt_events', '')`);
    await settle(ctx, 'the copied membership events');
    const counted = await ctx
      .knex('events')
      .where({ stream_id: stream })
      .whereIn('type', ['MemberAdded', 'MemberRemoved'])
      .count<{ count: string }[]>();
    return { organization, project, membershipEvents: Number(counted[0]?.count) };
  });
