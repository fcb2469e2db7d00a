/** Once per run, after the last suite: stops what globalSetup started and says which tests did not run, if any. */
export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__testServices;
  globalThis.__testServices = undefined;
  await services?.stop();
}
