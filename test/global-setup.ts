/**
 * Once per run, before the workers start: finds or starts the PostgreSQL and Redis the suites use (see
 * test/support/test-services.ts), or fails fast with the reason. The workers inherit what it puts in process.env.
 */
import { startTestServices, type TestServices } from './support/test-services';

declare global {
  var __testServices: TestServices | undefined;
}

export default async function globalSetup(): Promise<void> {
  const services = await startTestServices();
  globalThis.__testServices = services;
  if (services.summary) process.stdout.write(`${services.summary}\n`);
}
