/**
 * The whole system on a fresh database, driven over HTTP with supertest; the projector and the reactor run
 * in-process (jobs run when a test runs them: `runJob`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Pool } from 'pg';
import pino from 'pino';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createInProcessBus, type InProcessBus } from '../../src/realtime/bus/in-process-bus';
import { filesystemStorage } from '../../src/storage/filesystem';
import { buildSystem, type System, type SystemSettings } from '../../src/system';
import { createMigratedDatabase, type TestDatabase } from './database';

export interface TestApi {
  database: TestDatabase;
  knex: Knex;
  pool: Pool;
  bus: InProcessBus;
  system: System;
  http: TestAgent;
  /** Registers and logs in a new user; returns its id, username and a bearer header. */
  user(name?: string): Promise<TestUser>;
  teardown(): Promise<void>;
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  access: string;
  refresh: string;
  auth: { Authorization: string };
}

let counter = 0;

export const createTestApi = async (overrides: Partial<SystemSettings> = {}): Promise<TestApi> => {
  const db = await createMigratedDatabase('tt_api');
  const { database, knex, pool } = db;
  const bus = createInProcessBus();
  // Attachment bytes in a folder of this TestApi's own, removed with it, unless the suite gives a storage.
  const attachmentDir = overrides.attachments
    ? null
    : mkdtempSync(path.join(tmpdir(), 'tt-api-attachments-'));
  const system = buildSystem({
    knex,
    pool,
    logger: pino({ level: 'silent' }),
    jwtSecret: 'test-secret-test-secret-test-secret-000',
    publisher: bus,
    passwordHashCost: 10,
    commandRetries: 50,
    rateLimits: { loginPerAccount: 1000, loginPerAddress: 1000, registerPerAddress: 100_000 },
    ...(attachmentDir ? { attachments: { storage: filesystemStorage(attachmentDir) } } : {}),
    ...overrides,
  });
  system.projector.start();
  system.reactor.start();
  // Reactions act on what comes after their origin (the log's head at their first start): on this fresh log, all.
  await system.reactor.ready();
  const http = request(system.app);
  return {
    database,
    knex,
    pool,
    bus,
    system,
    http,
    async user(name = 'user') {
      counter += 1;
      const username = `${name}${counter}_${Math.random().toString(36).slice(2, 7)}`;
      const email = `${username}@example.com`;
      const password = 'correct horse battery staple';
      const registered = await http
        .post('/api/v1/auth/register/')
        .send({ username, email, password })
        .expect(201);
      const login = await http.post('/api/v1/auth/login/').send({ username, password }).expect(200);
      return {
        id: registered.body.id,
        username,
        email,
        access: login.body.access,
        refresh: login.body.refresh,
        auth: { Authorization: `Bearer ${login.body.access}` },
      };
    },
    async teardown() {
      await system.close();
      await db.close();
      if (attachmentDir) rmSync(attachmentDir, { recursive: true, force: true });
    },
  };
};
