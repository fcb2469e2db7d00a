/**
 * The wakeup against PostgreSQL: an append wakes this process's subscribers once, at once (its own NOTIFY comes
 * back as an echo that must not wake them again: each would read and find nothing); another process's appends
 * wake them through the notification.
 */
import type { Pool } from 'pg';
import { createTestDatabase, type TestDatabase, testPool } from '../../../test/support/database';
import { eventually } from '../../../test/support/eventually';
import { Wakeup } from './wakeup';

describe('the wakeup', () => {
  let db: TestDatabase;
  let pool: Pool;
  const wakeups: Wakeup[] = [];
  const wakeup = async () => {
    const made = new Wakeup(pool, { connectionString: db.url }, 'tt_wakeup_test');
    wakeups.push(made);
    await made.listen();
    return made;
  };
  beforeAll(async () => {
    db = await createTestDatabase('tt_wakeup');
    pool = testPool(db.url);
  });
  afterAll(async () => {
    await Promise.all(wakeups.map((w) => w.close()));
    await pool.end();
    await db.drop();
  });

  it("wakes this process's subscribers once per append, and another process's through the notification", async () => {
    const [here, there] = [await wakeup(), await wakeup()];
    const [hereBefore, thereBefore] = [here.current, there.current];
    here.notifyCommitted();
    expect(here.current).toBe(hereBefore + 1);
    await eventually(() => expect(there.current).toBe(thereBefore + 1));
    // Give the echo of our own notification time to arrive: it must not count.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(here.current).toBe(hereBefore + 1);
    await pool.query(`SELECT pg_notify('tt_wakeup_test', '')`);
    await eventually(() => expect(here.current).toBe(hereBefore + 2));
  });
});
