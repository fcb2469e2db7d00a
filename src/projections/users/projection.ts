import type { Projection } from '../projection';
import { ofTypes } from '../shared/events';
import { insertRows } from '../shared/sql';

const USER_COLUMN_TYPES = { id: 'uuid', username: 'text', email: 'text', registered_at: 'timestamptz' };

/** `users`: one row per registered user; a registration is inserted once, a replay changes nothing. */
export const usersProjection: Projection = {
  name: 'users',
  tables: ['users'],
  eventTypes: ['UserRegistered'],
  reads: [],
  async apply(events, ctx) {
    const rows = ofTypes(events, ['UserRegistered']).map(({ event, recorded }) => ({
      id: event.data.userId,
      username: event.data.username,
      email: event.data.email,
      registered_at: recorded.metadata.occurredAt,
    }));
    await insertRows(ctx.writes, ctx.table('users'), USER_COLUMN_TYPES, rows, 'ON CONFLICT (id) DO NOTHING');
  },
};
