import knexFactory from 'knex';
import { PipelinedPostgres, pipelined } from '../../platform/pipelined';
import { connectionOf, withApplicationName } from './pg-connection';

describe('the connection settings of a knex instance', () => {
  it('keeps the password, which knex hides from enumeration, for URLs and objects alike', async () => {
    for (const connection of [
      'postgres://ann:s3cret@db.example:5433/tt',
      { host: 'db', user: 'ann', password: 's3cret' },
    ]) {
      const knex = knexFactory({ client: 'pg', connection });
      try {
        const settings = withApplicationName(connectionOf(knex), 'tt-test');
        expect(settings.password).toBe('s3cret');
        expect(settings.application_name).toBe('tt-test');
      } finally {
        await knex.destroy();
      }
    }
  });

  it('leaves pipeline mode to the pool: a dedicated session (a lock, a LISTEN) runs one statement at a time', async () => {
    const knex = knexFactory({
      client: PipelinedPostgres,
      connection: pipelined({ host: 'db', user: 'ann', password: 's3cret' }),
    });
    try {
      const settings = withApplicationName(connectionOf(knex), 'tt-test') as Record<string, unknown>;
      expect(settings).not.toHaveProperty('pipeline');
      expect(settings).toMatchObject({ host: 'db', user: 'ann', password: 's3cret' });
    } finally {
      await knex.destroy();
    }
  });
});
