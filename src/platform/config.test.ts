import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config';

describe('config', () => {
  it('gives the embedded defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ role: 'all', port: 8000, databaseUrl: undefined, redisUrl: undefined });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable it knows', () => {
    const config = loadConfig({
      PORT: '9001',
      DATABASE_URL: 'postgres://u@db:5432/tt',
      EVENTSTORE_CONNECTION_STRING: 'esdb://es:2113?tls=false',
      REDIS_URL: 'redis://cache:6379',
      ROLE: 'projector',
    });
    expect(config).toMatchObject({
      port: 9001,
      databaseUrl: 'postgres://u@db:5432/tt',
      eventStoreConnectionString: 'esdb://es:2113?tls=false',
      redisUrl: 'redis://cache:6379',
      role: 'projector',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it('fails naming every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ROLE: 'boss' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ROLE: 'boss' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/DATABASE_URL/);
      expect(message).toMatch(/ROLE/);
    }
  });

  it('refuses to start in production with the default or a short JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).nodeEnv).toBe('production');
  });

  it('lists its variables', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'EVENTSTORE_CONNECTION_STRING']),
    );
  });
});
