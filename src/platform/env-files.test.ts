/**
 * The config module is the only reader of the environment; these files are where people learn what to set.
 * Both must name every variable it reads, so a new variable cannot ship undocumented or unset in production;
 * `.env.example` also lists the few variables only docker-compose.yml reads.
 */
import { type ComposeService, loadCompose, read, strings } from '../../test/support/compose';
import { CONFIG_VARIABLES } from './config';

/** Variables docker-compose.yml may leave out, each with the reason. */
const ABSENT_FROM_COMPOSE: Record<string, string> = {
  DATA_DIR: 'only the embedded PostgreSQL uses it, and compose always sets DATABASE_URL',
};

/** Variables only compose reads (the app never does), each with the reason. */
const COMPOSE_ONLY: Record<string, string> = {
  POSTGRES_PASSWORD: "PostgreSQL's password; compose builds DATABASE_URL from it",
  EVENTSTORE_ADMIN_PASSWORD:
    "EventStoreDB's admin password; compose builds EVENTSTORE_CONNECTION_STRING from it",
  MONGODB_PASSWORD: "MongoDB's root password; compose builds MONGODB_URL from it",
  PROXY_PORT: 'the host port of the nginx proxy in front of the api replicas',
};

/** The compose files, both read the way compose reads them (with YAML merge keys). */
const COMPOSE_FILES = ['docker-compose.yml', 'deploy/compose.dev.yml'];

// `KEY=value` lines, commented-out ones excluded.
const dotenvNames = (text: string) =>
  new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] ?? ''));

/** The variables a compose file interpolates (`${NAME}`, `${NAME:-default}`, …; `$$` is a literal dollar). */
const composeReferences = (file: string): Set<string> =>
  new Set(
    strings(loadCompose(file))
      .flatMap((text) => text.split('$$'))
      .flatMap((text) => [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '')),
  );

const environmentNames = (service: ComposeService): Set<string> => {
  const environment = service.environment ?? {};
  return new Set(
    Array.isArray(environment)
      ? environment.map((entry) => entry.split('=')[0] ?? '')
      : Object.keys(environment),
  );
};

describe('environment files', () => {
  it('.env.example lists every variable the config module reads', () => {
    const listed = dotenvNames(read('.env.example'));
    expect(CONFIG_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('.env.example lists every variable the compose files read', () => {
    const listed = dotenvNames(read('.env.example'));
    const referenced = COMPOSE_FILES.flatMap((file) => [...composeReferences(file)]);
    expect(referenced.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('.env.example lists no variable that neither the config module nor compose reads', () => {
    const known = new Set([...CONFIG_VARIABLES, ...Object.keys(COMPOSE_ONLY)]);
    expect([...dotenvNames(read('.env.example'))].filter((name) => !known.has(name))).toEqual([]);
  });

  it('excuses as compose-only only variables compose reads and the config module does not', () => {
    const composeReads = composeReferences('docker-compose.yml');
    expect(
      Object.keys(COMPOSE_ONLY).filter((name) => !composeReads.has(name) || CONFIG_VARIABLES.includes(name)),
    ).toEqual([]);
  });

  it('docker-compose.yml sets every variable the config module reads on each app role, but for the listed exceptions', () => {
    const { services } = loadCompose('docker-compose.yml');
    const roles = Object.entries(services).filter(([, service]) => environmentNames(service).has('ROLE'));
    expect(roles.map(([name]) => name).sort()).toEqual(['api', 'projector', 'scheduler']);
    for (const [name, service] of roles) {
      const set = environmentNames(service);
      const missing = CONFIG_VARIABLES.filter(
        (variable) => !set.has(variable) && !(variable in ABSENT_FROM_COMPOSE),
      );
      expect({ service: name, missing }).toEqual({ service: name, missing: [] });
    }
  });

  it('excuses only variables the config module still reads', () => {
    expect(Object.keys(ABSENT_FROM_COMPOSE).filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });
});
