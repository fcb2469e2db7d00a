import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
      REDIS_PREFIX: 'staging:',
      ROLE: 'projector',
    });
    expect(config).toMatchObject({
      port: 9001,
      databaseUrl: 'postgres://u@db:5432/tt',
      eventStoreConnectionString: 'esdb://es:2113?tls=false',
      redisUrl: 'redis://cache:6379',
      redisPrefix: 'staging:',
      role: 'projector',
    });
  });

  it('treats an empty variable as unset, whatever it is', () => {
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBeUndefined();
    expect(loadConfig({ REDIS_PREFIX: '' }).redisPrefix).toBe('');
    const config = loadConfig({ JWT_SECRET: '', PORT: ' ', NODE_ENV: '', LOGIN_LIMIT_PER_ACCOUNT: '' });
    expect(config).toMatchObject({ jwtSecret: undefined, port: 8000, nodeEnv: 'development' });
    expect(config.rateLimits.loginPerAccount).toBe(10);
  });

  it('leaves the JWT secret unset outside production (the data folder then holds a generated one)', () => {
    expect(loadConfig({}).jwtSecret).toBeUndefined();
    expect(loadConfig({ HOST: '0.0.0.0' }).jwtSecret).toBeUndefined();
  });

  it('refuses a short or well-known JWT secret whenever the server listens beyond loopback', () => {
    const wellKnown = 'dev-only-secret-change-me-dev-only-secret';
    for (const HOST of ['0.0.0.0', '::', '192.168.1.10', 'tracker.example.com']) {
      expect(() => loadConfig({ HOST, JWT_SECRET: 'short' })).toThrow(/JWT_SECRET.*32 characters/);
      expect(() => loadConfig({ HOST, JWT_SECRET: wellKnown })).toThrow(/JWT_SECRET.*well-known/);
      expect(loadConfig({ HOST, JWT_SECRET: 'y'.repeat(32) }).jwtSecret).toBe('y'.repeat(32));
    }
    for (const HOST of ['127.0.0.1', 'localhost', '::1']) {
      expect(loadConfig({ HOST, JWT_SECRET: 'short' }).jwtSecret).toBe('short');
    }
  });

  it('reads the limits, the proxy trust and the metrics token', () => {
    const config = loadConfig({
      LOGIN_LIMIT_PER_ACCOUNT: '3',
      LOGIN_LIMIT_PER_ADDRESS: '30',
      REGISTER_LIMIT_PER_ADDRESS: '4',
      MEMBERSHIP_LIMIT: '50',
      WS_SOCKETS_PER_USER: '5',
      METRICS_TOKEN: 'a-long-metrics-token',
    });
    expect(config).toMatchObject({
      rateLimits: { loginPerAccount: 3, loginPerAddress: 30, registerPerAddress: 4 },
      membershipLimit: 50,
      socketsPerUser: 5,
      metricsToken: 'a-long-metrics-token',
    });
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
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

  it('reads the scheduler, email and admin settings, with their defaults', () => {
    expect(loadConfig({})).toMatchObject({
      mongodbUrl: undefined,
      smtpUrl: undefined,
      publicUrl: 'http://127.0.0.1:8000',
      emailFrom: 'Team Tracker <no-reply@localhost>',
      emailBatchWindowSeconds: 60,
      overdueReminderCron: '0 8 * * *',
      notificationRetentionDays: 30,
      admin: undefined,
    });
    const config = loadConfig({
      ROLE: 'scheduler',
      MONGODB_URL: 'mongodb://mongo:27017/tt',
      SMTP_URL: 'smtps://user:pw@mail.example.com:465',
      PUBLIC_URL: 'https://tracker.example.com/',
      EMAIL_FROM: 'tracker@example.com',
      EMAIL_BATCH_WINDOW_SECONDS: '0',
      OVERDUE_REMINDER_CRON: '30 6 * * 1-5',
      NOTIFICATION_RETENTION_DAYS: '7',
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'a long password',
      ADMIN_EMAIL: 'root@example.com',
    });
    expect(config).toMatchObject({
      role: 'scheduler',
      mongodbUrl: 'mongodb://mongo:27017/tt',
      smtpUrl: 'smtps://user:pw@mail.example.com:465',
      publicUrl: 'https://tracker.example.com',
      emailFrom: 'tracker@example.com',
      emailBatchWindowSeconds: 0,
      overdueReminderCron: '30 6 * * 1-5',
      notificationRetentionDays: 7,
      admin: { username: 'root', password: 'a long password', email: 'root@example.com' },
    });
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl).toBe('http://[::1]:9000');
    expect(loadConfig({ MONGODB_URL: 'mongodb+srv://cluster.example.com/tt' }).mongodbUrl).toBe(
      'mongodb+srv://cluster.example.com/tt',
    );
  });

  it('refuses bad scheduler, email and admin settings, naming them', () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ MONGODB_URL: 'postgres://x' }, /MONGODB_URL/],
      [{ SMTP_URL: 'http://mail' }, /SMTP_URL/],
      [{ PUBLIC_URL: 'tracker.example.com' }, /PUBLIC_URL/],
      [{ EMAIL_FROM: 'nobody' }, /EMAIL_FROM/],
      [{ OVERDUE_REMINDER_CRON: 'every day' }, /OVERDUE_REMINDER_CRON.*cron/],
      [{ NOTIFICATION_RETENTION_DAYS: '0' }, /NOTIFICATION_RETENTION_DAYS/],
      [{ ADMIN_USERNAME: 'root' }, /ADMIN_USERNAME.*ADMIN_PASSWORD/],
      [{ ADMIN_PASSWORD: 'a long password' }, /ADMIN_PASSWORD.*ADMIN_USERNAME/],
      [{ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'short' }, /ADMIN_PASSWORD.*8 to 1024/],
      [{ ADMIN_EMAIL: 'root@example.com' }, /ADMIN_EMAIL/],
    ];
    for (const [env, message] of refused) expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the attachment settings: a folder under DATA_DIR by default, S3 when a bucket is named', () => {
    expect(loadConfig({ DATA_DIR: '/srv/tt/' }).attachments).toEqual({
      maxBytes: 25 * 1024 * 1024,
      retentionSeconds: 7 * 86_400,
      dir: '/srv/tt/attachments',
      s3: undefined,
    });
    for (const [text, seconds] of [
      ['90', 90],
      ['90s', 90],
      ['15m', 900],
      ['12h', 43_200],
      ['2d', 172_800],
    ] as const) {
      expect(loadConfig({ ATTACHMENT_RETENTION: text }).attachments.retentionSeconds).toBe(seconds);
    }
    const s3 = loadConfig({
      ATTACHMENT_MAX_BYTES: '1048576',
      ATTACHMENT_DIR: '/mnt/files',
      S3_BUCKET: 'tt-files',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_PREFIX: 'team-tracker/',
    }).attachments;
    expect(s3).toEqual({
      maxBytes: 1_048_576,
      retentionSeconds: 7 * 86_400,
      dir: '/mnt/files',
      s3: {
        bucket: 'tt-files',
        endpoint: 'http://minio:9000',
        region: 'us-east-1',
        credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
        forcePathStyle: true,
        prefix: 'team-tracker/',
      },
    });
    expect(loadConfig({ S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'false' }).attachments.s3?.forcePathStyle).toBe(
      false,
    );
    expect(loadConfig({ S3_BUCKET: 'b' }).attachments.s3).toMatchObject({
      credentials: undefined,
      forcePathStyle: false,
    });
  });

  it('refuses bad attachment settings, naming them', () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ ATTACHMENT_RETENTION: 'a week' }, /ATTACHMENT_RETENTION/],
      [{ ATTACHMENT_MAX_BYTES: '0' }, /ATTACHMENT_MAX_BYTES/],
      [{ S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'key' }, /S3_ACCESS_KEY_ID.*S3_SECRET_ACCESS_KEY/],
      [{ S3_ENDPOINT: 'http://minio:9000' }, /S3_BUCKET/],
      [{ S3_BUCKET: 'b', S3_ENDPOINT: 'minio:9000' }, /S3_ENDPOINT/],
      [{ S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'yes' }, /S3_FORCE_PATH_STYLE/],
    ];
    for (const [env, message] of refused) expect(() => loadConfig(env)).toThrow(message);
  });

  it('lists its variables', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'EVENTSTORE_CONNECTION_STRING']),
    );
  });
  it('reads .env from the working directory when present, the environment winning over it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tt-dotenv-'));
    try {
      writeFileSync(path.join(dir, '.env'), 'PORT=9123\nLOG_LEVEL=warn\nJWT_SECRET=\n');
      const script = `
        const { loadConfig, loadDotEnv } = require(${JSON.stringify(path.join(__dirname, 'config.ts'))});
        const read = loadDotEnv();
        const c = loadConfig();
        process.stdout.write(JSON.stringify({ read, port: c.port, logLevel: c.logLevel, jwtSecret: c.jwtSecret ?? null }));
      `;
      const run = (env: Record<string, string>) =>
        JSON.parse(
          execFileSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], {
            cwd: dir,
            env: { PATH: process.env.PATH ?? '', ...env },
            encoding: 'utf8',
          }),
        );
      expect(run({})).toEqual({ read: true, port: 9123, logLevel: 'warn', jwtSecret: null });
      expect(run({ PORT: '9200' })).toMatchObject({ port: 9200, logLevel: 'warn' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
