/** `npm run migrate`: brings the database named by DATABASE_URL up to date (a composition root, like main.ts). */
import { migrations } from './migrations';
import { loadConfig, loadDotEnv } from './platform/config';
import { createLogger } from './platform/logger';
import { migrateToLatest } from './platform/migrator';
import { createPostgresClients } from './platform/postgres';

const main = async (): Promise<void> => {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'migrate' });
  if (!config.databaseUrl) throw new Error('DATABASE_URL: must be set to run migrations');
  const clients = createPostgresClients(config.databaseUrl, {
    poolSize: 2,
    applicationName: 'team-tracker-migrate',
  });
  try {
    const applied = await migrateToLatest(clients.knex, migrations);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
  } finally {
    await clients.close();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
