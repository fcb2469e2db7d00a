import type { Projection } from '../projection';
import { ofTypes } from '../shared/events';
import { ident, recordset } from '../shared/sql';

/** `users`: one row per registered user; a registration is inserted once, a replay changes nothing. */
export const usersProjection: Projection = {
  name: 'users',
  tables: ['users'],
  eventTypes: ['UserRegistered'],
  async apply(events, ctx) {
    const rows = ofTypes(events, ['UserRegistered']).map(({ event, recorded }) => ({
      id: event.data.userId,
      username: event.data.username,
      email: event.data.email,
      registered_at: recorded.metadata.occurredAt,
    }));
    if (rows.length === 0) return;
    await ctx.trx.raw(
      `INSERT INTO ${ident(ctx.table('users'))} (id, username, email, registered_at)
       SELECT r.id, r.username, r.email, r.registered_at
       FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, username text, email text, registered_at timestamptz)
       ON CONFLICT (id) DO NOTHING`,
      [recordset(rows)],
    );
  },
};
