/**
 * What a suite starts from, named in its describe block and made before its first test:
 *
 * ```ts
 * const api = useTestApi();
 * const acme = useFixture(() => anOrganization(api, 'Acme').withMember('member').build());
 * ```
 *
 * Each returns its object at once and fills it in a beforeAll hook (in the order the suite names them), so tests
 * and later fixtures read it as the suite built it.
 */
import type { SystemSettings } from '../../src/system';
import { createTestApi, type TestApi } from './api';

/**
 * The suite's TestApi, torn down after its last test. Settings known only once earlier fixtures exist (an SMTP
 * server's URL) come as a function, called when the TestApi is made.
 */
export const useTestApi = (
  overrides: Partial<SystemSettings> | (() => Partial<SystemSettings>) = {},
): TestApi => {
  const api = {} as TestApi;
  beforeAll(async () => {
    Object.assign(api, await createTestApi(typeof overrides === 'function' ? overrides() : overrides));
  });
  afterAll(() => api.teardown?.());
  return api;
};

/**
 * What a suite starts from, built before its first test (jest's beforeAll, in the order the suite names them)
 * into the object returned at once, so that the describe block can name it.
 */
export const useFixture = <T extends object>(build: () => Promise<T>): T => {
  const built = {} as T;
  beforeAll(async () => {
    Object.assign(built, await build());
  });
  return built;
};
