/** pg_notify('pggit', json) on registration and on each status change. */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { mark, register } from './helpers.js';

let db: TestDatabase;
let listener: pg.Client;
const events: Record<string, unknown>[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  listener.on('notification', (n) => {
    if (n.channel === 'pggit' && n.payload) events.push(JSON.parse(n.payload));
  });
  await listener.query('LISTEN pggit');
});
afterAll(async () => {
  await listener?.end();
  await db?.close();
});

async function waitFor(n: number) {
  for (let i = 0; i < 100 && events.length < n; i++) await new Promise((r) => setTimeout(r, 50));
}

it('says what happened to which intent, and names no agent, feature or branch', async () => {
  const a = await register(db.pool, 'ev-a', 'events_one', 'ALTER TABLE ev ADD COLUMN a int');
  const b = await register(db.pool, 'ev-b', 'events_two', 'ALTER TABLE ev ADD COLUMN a int');
  await mark(db.pool, 'in_progress', a.intent.id);
  await waitFor(3);
  // Any role may LISTEN on a channel: the payload carries ids and statuses only.
  expect(events).toEqual([
    { event: 'registered', intent_id: a.intent.id, old_status: null, status: 'registered' },
    { event: 'registered', intent_id: b.intent.id, old_status: null, status: 'conflicted' },
    {
      event: 'status_changed',
      intent_id: a.intent.id,
      old_status: 'registered',
      status: 'in_progress',
    },
  ]);
  const text = JSON.stringify(events);
  for (const secret of ['ev-a', 'ev-b', 'events_one', 'events_two', 'feature/']) {
    expect(text).not.toContain(secret);
  }
});
