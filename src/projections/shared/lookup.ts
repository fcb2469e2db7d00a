import type { Knex } from 'knex';
import { isUuid } from './ids';

/**
 * A lookup of one thing by its id on behalf of a user: null, without asking PostgreSQL, when either id is not a
 * UUID (it names nothing, and would fail as a `uuid` parameter).
 */
export const lookupById =
  <T>(lookup: (db: Knex, id: string, userId: string) => Promise<T | null>) =>
  (db: Knex, id: string, userId: string): Promise<T | null> =>
    isUuid(id) && isUuid(userId) ? lookup(db, id, userId) : Promise.resolve(null);
