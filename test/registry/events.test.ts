/** pg_notify('pggit', json) on registration, on each new conflict and on each status change. */
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

it('names the intent, the agents and the event', async () => {
  const a = await register(db.pool, 'ev-a', 'events_one', 'ALTER TABLE ev ADD COLUMN a int');
  const b = await register(db.pool, 'ev-b', 'events_two', 'ALTER TABLE ev ADD COLUMN a int');
  await mark(db.pool, 'in_progress', a.intent.id);
  await waitFor(5);
  expect(events).toEqual([
    expect.objectContaining({
      event: 'registered',
      intent_id: a.intent.id,
      agent_id: 'ev-a',
      status: 'registered',
    }),
    expect.objectContaining({
      event: 'registered',
      intent_id: b.intent.id,
      agent_id: 'ev-b',
      status: 'conflicted',
    }),
    expect.objectContaining({
      event: 'conflict',
      intent_a: b.intent.id,
      agent_a: 'ev-b',
      intent_b: a.intent.id,
      agent_b: 'ev-a',
    }),
    expect.objectContaining({ event: 'conflict', intent_a: b.intent.id, intent_b: a.intent.id }),
    expect.objectContaining({
      event: 'status_changed',
      intent_id: a.intent.id,
      old_status: 'registered',
      status: 'in_progress',
    }),
  ]);
  expect(
    events
      .slice(2, 4)
      .map((e) => e.conflict_type)
      .sort(),
  ).toEqual(['column', 'table']);
});
