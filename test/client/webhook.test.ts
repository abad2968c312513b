/**
 * `pggit watch --webhook`: the CLI (a subprocess) relays real NOTIFY events
 * of a real database to HTTP endpoints on the loopback (node:http): delivery
 * with its headers, an endpoint failing then succeeding (retried, same
 * delivery id), permanently failing ones given up after N attempts (or at
 * once on a 4xx) without holding back the others, the bounded queue dropping
 * its oldest, and a prompt stop.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentIdOptions } from '../../src/client/index.js';
import { packageVersion } from '../../src/client/version.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { closedPort, pggit, startPggit, until } from './support.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

interface Request {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  at: number;
}

type Behaviour = (req: Request, nth: number) => number | 'hang';

/** An HTTP server on 127.0.0.1: each path answers as its behaviour says; every request is kept. */
async function receiver(paths: Record<string, Behaviour>) {
  const requests: Request[] = [];
  const hung: ServerResponse[] = [];
  const aborted: string[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => {
      text += d;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      const r: Request = { path, headers: req.headers, body: JSON.parse(text), at: Date.now() };
      requests.push(r);
      const nth = requests.filter((x) => x.path === path).length;
      const answer = paths[path]?.(r, nth) ?? 404;
      if (answer === 'hang') {
        hung.push(res);
        res.on('close', () => {
          if (!res.writableEnded) aborted.push(path);
        });
        return;
      }
      res.statusCode = answer;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: (path: string) => `http://127.0.0.1:${address.port}${path}`,
    requests: (path: string) => requests.filter((r) => r.path === path),
    /** Answers every hung request with this status. */
    release: (status = 200) => {
      for (const res of hung.splice(0)) {
        res.statusCode = status;
        res.end('{}');
      }
    },
    aborted: () => [...aborted],
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** `pggit watch --json ...` against this file's database. */
function watch(args: string[]) {
  const w = startPggit(['watch', '--json', ...args, '--database-url', db.url]);
  return {
    ...w,
    events: () =>
      w
        .stdout()
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    started: () => w.watching(),
  };
}

const registerSql = (agent: string, feature: string, ddl: string) =>
  db
    .query<{ id: string }>(
      "SELECT pggit_register(agent_id => $1, feature_name => $2, schema_changes => $3) #>> '{intent,id}' AS id",
      [agent, feature, ddl],
    )
    .then((r) => r.rows[0]?.id as string);

describe('pggit watch --webhook', () => {
  it('relays each event as a POST; retries a failing endpoint until it answers; gives up on a dead one after N attempts, and on a 4xx at once, without holding back the others', async () => {
    const flakyFails = new Map<string, number>();
    const server = await receiver({
      '/ok': () => 204,
      // 503 twice for each delivery, then 200
      '/flaky': (r) => {
        const id = String(r.headers['x-pggit-delivery']);
        const n = (flakyFails.get(id) ?? 0) + 1;
        flakyFails.set(id, n);
        return n <= 2 ? 503 : 200;
      },
      '/down': () => 500,
      '/gone': () => 410,
    });
    const w = watch([
      '--webhook',
      server.url('/ok'),
      '--webhook',
      server.url('/flaky'),
      '--webhook',
      server.url('/down'),
      '--webhook',
      server.url('/gone'),
      '--webhook-attempts',
      '3',
      '--webhook-backoff',
      '600',
      '--enrich',
    ]);
    try {
      await w.started();
      expect(w.stderr()).toContain('relaying them to 4 webhook(s)');
      const id = await registerSql('wh-a', 'wh one', 'CREATE TABLE wh_one (id int)');
      await db.query('SELECT pggit_mark_in_progress(intent_id => $1)', [id]);
      const ddl = new pg.Client({ connectionString: db.url, options: agentIdOptions('wh-a') });
      await ddl.connect();
      await ddl.query('CREATE TABLE wh_undeclared (id int)');
      await ddl.end();

      // the healthy endpoint has all three long before the dead one is done with the first
      await until(() => server.requests('/ok').length === 3);
      const ok = server.requests('/ok');
      expect(ok.map((r) => r.body.event)).toEqual(['registered', 'status_changed', 'drift']);
      expect(server.requests('/down').length).toBeLessThan(3);
      expect(ok[0]?.body).toMatchObject({
        event: 'registered',
        intent_id: id,
        old_status: null,
        status: 'registered',
        // --enrich: the intent as the watcher may read it
        intent: { id, agent_id: 'wh-a', feature_name: 'wh one' },
      });
      expect(ok[1]?.body).toMatchObject({
        event: 'status_changed',
        old_status: 'registered',
        status: 'in_progress',
        intent: { id },
      });
      expect(ok[2]?.body).toEqual({
        event: 'drift',
        drift_id: expect.any(Number),
        finding: 'undeclared',
      });
      expect(ok[0]?.headers).toMatchObject({
        'content-type': 'application/json',
        'user-agent': `pggit/${packageVersion()}`,
        'x-pggit-event': 'registered',
        'x-pggit-delivery': expect.stringMatching(/^[0-9a-f-]{36}$/),
      });

      // /down: exactly 3 attempts per event, /gone: one; /flaky delivered each on its 3rd
      await until(() => server.requests('/down').length === 9);
      await until(() => w.stderr().match(/gave up/g)?.length === 6);
      await new Promise((r) => setTimeout(r, 1_000)); // and no more after that
      expect(server.requests('/down')).toHaveLength(9);
      expect(server.requests('/gone')).toHaveLength(3);
      const flaky = server.requests('/flaky');
      expect(flaky).toHaveLength(9);
      for (let i = 0; i < 3; i++) {
        const tries = flaky.slice(3 * i, 3 * i + 3);
        // one delivery id and one body for the three attempts of one event, as on /ok
        expect(new Set(tries.map((r) => r.headers['x-pggit-delivery']))).toEqual(
          new Set([ok[i]?.headers['x-pggit-delivery']]),
        );
        expect(tries.map((r) => r.body)).toEqual([ok[i]?.body, ok[i]?.body, ok[i]?.body]);
        // backoff: 600 ms, then 1200 ms
        expect((tries[1]?.at ?? 0) - (tries[0]?.at ?? 0)).toBeGreaterThanOrEqual(550);
        expect((tries[2]?.at ?? 0) - (tries[1]?.at ?? 0)).toBeGreaterThanOrEqual(1150);
      }
      expect(w.stderr()).toMatch(
        new RegExp(
          `warning: webhook ${server.url('/down')}: gave up on the registered event of intent ${id.slice(0, 8)} after 3 attempt\\(s\\): HTTP 500`,
        ),
      );
      expect(w.stderr()).toMatch(
        new RegExp(
          `warning: webhook ${server.url('/gone')}: gave up on the drift event #\\d+ after 1 attempt\\(s\\): HTTP 410`,
        ),
      );
      expect(w.stderr()).not.toMatch(/webhook \S+\/(ok|flaky): gave up/);

      expect(await w.stop()).toBe(0);
      // the events are still printed, one JSON object per line
      expect(w.events().map((e) => e.event)).toEqual(['registered', 'status_changed', 'drift']);
      const summary = w.stderr();
      expect(summary).toContain(
        `webhook ${server.url('/ok')}: 3 delivered, 0 given up, 0 dropped (queue full), 0 not sent (stopped)`,
      );
      expect(summary).toContain(`webhook ${server.url('/flaky')}: 3 delivered, 0 given up`);
      expect(summary).toContain(`webhook ${server.url('/down')}: 0 delivered, 3 given up`);
      expect(summary).toContain(`webhook ${server.url('/gone')}: 0 delivered, 3 given up`);
    } finally {
      w.kill();
      await server.close();
    }
  });

  it('a bounded queue: an endpoint that does not answer keeps the newest events, drops the oldest with a counted warning, and the others get everything', async () => {
    const server = await receiver({
      '/hang': (_r, nth) => (nth === 1 ? 'hang' : 200),
      '/ok': () => 200,
    });
    const w = watch([
      '--webhook',
      server.url('/hang'),
      '--webhook',
      server.url('/ok'),
      '--webhook-queue',
      '2',
      '--webhook-timeout',
      '60',
    ]);
    try {
      await w.started();
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        ids.push(await registerSql(`wq-${i}`, `wq ${i}`, `CREATE TABLE wq_${i} (id int)`));
        // (one at a time: /ok's own queue is bounded too)
        await until(() => server.requests('/ok').length === i);
      }
      // the LISTEN side never waits: every event is printed, and the other endpoint has them all
      expect(w.events().map((e) => e.intent_id)).toEqual(ids);
      expect(server.requests('/ok').map((r) => r.body.intent_id)).toEqual(ids);
      expect(server.requests('/hang').map((r) => r.body.intent_id)).toEqual([ids[0]]);
      // 1 in flight, 2 waiting: the 4th and 5th pushed out the 2nd and 3rd
      await until(() => w.stderr().includes('dropped the oldest'));
      expect(w.stderr()).toContain(
        `warning: webhook ${server.url('/hang')}: queue full (2 waiting), dropped the oldest (registered event of intent ${ids[1]?.slice(0, 8)}); 1 dropped so far`,
      );
      server.release();
      await until(() => server.requests('/hang').length === 3);
      expect(server.requests('/hang').map((r) => r.body.intent_id)).toEqual([
        ids[0],
        ids[3],
        ids[4],
      ]);
      expect(await w.stop()).toBe(0);
      expect(w.stderr()).toContain(
        `webhook ${server.url('/hang')}: 3 delivered, 0 given up, 2 dropped (queue full), 0 not sent (stopped)`,
      );
      expect(w.stderr()).toContain(
        `webhook ${server.url('/ok')}: 5 delivered, 0 given up, 0 dropped`,
      );
    } finally {
      w.kill();
      await server.close();
    }
  });

  it('Ctrl-C does not wait for an endpoint that does not answer: exit 0, saying what was not sent', async () => {
    const server = await receiver({ '/hang': () => 'hang' });
    const w = watch(['--webhook', server.url('/hang'), '--webhook-timeout', '60']);
    try {
      await w.started();
      await registerSql('ws-1', 'ws 1', 'CREATE TABLE ws_1 (id int)');
      await registerSql('ws-2', 'ws 2', 'CREATE TABLE ws_2 (id int)');
      await until(() => server.requests('/hang').length === 1 && w.events().length === 2);
      const started = Date.now();
      expect(await w.stop()).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(w.stderr()).toContain(
        `webhook ${server.url('/hang')}: 0 delivered, 0 given up, 0 dropped (queue full), 2 not sent (stopped)`,
      );
      await until(() => server.aborted().length === 1); // the request in flight was cut
    } finally {
      w.kill();
      await server.close();
    }
  });

  it('without --webhook, text mode prints intent events and drift events, one line each', async () => {
    const w = startPggit(['watch', '--database-url', db.url]);
    try {
      await w.watching();
      expect(w.stderr()).toBe('watching pggit notifications (Ctrl-C to stop)\n');
      const id = await registerSql('wt-a', 'wt one', 'CREATE TABLE wt_one (id int)');
      const ddl = new pg.Client({ connectionString: db.url, options: agentIdOptions('wt-a') });
      await ddl.connect();
      await ddl.query('CREATE TABLE wt_other (id int)');
      await ddl.end();
      await until(() => w.stdout().split('\n').length >= 3);
      const lines = w.stdout().trim().split('\n');
      expect(lines[0]).toMatch(
        new RegExp(`^\\S+ {2}registered {2}registered {2}\\(${id.slice(0, 8)}\\)$`),
      );
      expect(lines[1]).toMatch(/^\S+ {2}drift {2}undeclared {2}\(finding #\d+: pggit drift\)$/);
      expect(await w.stop()).toBe(0);
    } finally {
      w.kill();
    }
  });

  it('bad webhook options are usage errors (exit 2), before connecting', async () => {
    const url = `postgres://x@127.0.0.1:${await closedPort()}/x`;
    for (const [args, message] of [
      [
        ['--webhook', 'ftp://example.com/x'],
        /--webhook must be an http:\/\/ or https:\/\/ URL, not "ftp:\/\/example.com\/x"/,
      ],
      [['--webhook', 'not a url'], /--webhook must be an http:\/\/ or https:\/\/ URL/],
      [['--webhook-attempts', '3'], /--webhook-attempts needs --webhook <url>/],
      [['--enrich'], /--enrich needs --webhook <url>/],
      [
        ['--webhook', 'http://127.0.0.1:1/x', '--webhook-attempts', '0'],
        /--webhook-attempts must be a positive integer/,
      ],
      [
        ['--webhook', 'http://127.0.0.1:1/x', '--webhook-queue', 'many'],
        /--webhook-queue must be a positive integer/,
      ],
    ] as const) {
      const r = await pggit(['watch', ...args, '--database-url', url]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
