import type { Knex } from 'knex';
import { isUuid } from '../shared/ids';
import { isStorableText } from '../shared/values';

/** A user's public profile: `{ id, username, email }`. */
export interface UserView {
  id: string;
  username: string;
  email: string;
}

export { usernamesOf } from './usernames';

export const getUser = async (db: Knex, userId: string): Promise<UserView | null> => {
  if (!isUuid(userId)) return null;
  const row = await db('users').select('id', 'username', 'email').where({ id: userId }).first();
  return (row as UserView | undefined) ?? null;
};

/** Case-insensitive, as usernames are reserved by the command side. */
export const findUserByUsername = async (db: Knex, username: string): Promise<UserView | null> => {
  if (!isStorableText(username)) return null;
  const row = await db('users')
    .select('id', 'username', 'email')
    .whereRaw('lower(username) = lower(?)', [username])
    .orderBy('id')
    .first();
  return (row as UserView | undefined) ?? null;
};
