import knexFactory from 'knex';
import { createTestDatabase, testPool } from '../../../test/support/database';
import { eventStoreContract } from '../contract';
import { migrateToLatest } from '../../platform/migrator';
import { migrations } from '../../migrations';
import { PgEventStore } from './pg-event-store';

eventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase('tt_es_contract');
  const knex = knexFactory({ client: 'pg', connection: database.url });
  await migrateToLatest(knex, migrations);
  await knex.destroy();
  const pool = testPool(database.url, 10);
  const store = new PgEventStore({ pool });
  return {
    store,
    async teardown() {
      await store.close();
      await pool.end();
      await database.drop();
    },
  };
});
