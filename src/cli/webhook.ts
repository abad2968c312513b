/**
 * `pggit watch --webhook URL`: relays each pggit notification to HTTP
 * endpoints as a POST with a JSON body, with Node's own fetch.
 *
 * - Never blocks the LISTEN connection: push() only appends to in-memory
 *   queues and returns; delivery runs beside it.
 * - One queue and one sender per endpoint: events reach an endpoint one at a
 *   time, in the order they came, and a slow or failing endpoint only delays
 *   itself, never the others.
 * - Retries: a network error, no answer within the timeout, 408, 425, 429
 *   and 5xx are tried again after backoffMs, then twice that, ... (at most
 *   maxBackoffMs), up to `attempts` attempts in all; any other answer that is
 *   not 2xx (4xx, a redirect: never followed) gives up at once. Every attempt
 *   of one event carries the same `x-pggit-delivery` id, for the receiver to
 *   drop duplicates.
 * - Bounded: at most queueSize events wait per endpoint (besides the one
 *   being sent). A full queue drops its oldest event, counted, with a warning
 *   (the first, then at most one a second): the newest events say where
 *   intents stand now, and a receiver that lost some re-reads pggit
 *   (list-intents, history, drift). Refusing the newest instead would keep
 *   stale news and lose the current state.
 * - Best effort: nothing is persisted. Stopping the relay abandons what is
 *   still queued or in flight, and says how much.
 * - Enrichment (optional): the payloads carry ids and statuses only, since
 *   any role may LISTEN. The watcher runs with its database user's rights and
 *   can add what that user may read (the intent, via pggit_get_intent): once
 *   per event, when the first endpoint is about to send it, shared by all.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { redactUrl } from '../client/config.js';

export interface WebhookOptions {
  /** Attempts per event and endpoint, the first included (≥ 1). */
  attempts: number;
  /** Delay before the first retry, in ms; doubled for each further one. */
  backoffMs: number;
  /** The longest delay between two attempts, in ms. Default 60 000. */
  maxBackoffMs?: number;
  /** How long one attempt may take, in ms. */
  timeoutMs: number;
  /** Events that may wait per endpoint (the one being sent not counted). */
  queueSize: number;
  /** Fields to add to an event's body (called once per event); a failure relays it as it came. */
  enrich?: (payload: Record<string, unknown>) => Promise<Record<string, unknown>>;
  warn: (message: string) => void;
  /** The User-Agent header. */
  userAgent: string;
}

export interface EndpointStats {
  /** The URL, password hidden. */
  url: string;
  delivered: number;
  /** Events given up after their last attempt, or at once on a permanent refusal. */
  failed: number;
  /** Events dropped from a full queue. */
  dropped: number;
  /** Events still queued or in flight when the relay stopped. */
  abandoned: number;
}

interface RelayEvent {
  payload: Record<string, unknown>;
  /** The x-pggit-delivery header: one per event, the same for every endpoint and attempt. */
  id: string;
  body?: Promise<string>;
}

interface Endpoint {
  url: string;
  shown: string;
  queue: RelayEvent[];
  sending: RelayEvent | undefined;
  running: boolean;
  runner: Promise<void> | undefined;
  delivered: number;
  failed: number;
  dropped: number;
  lastDropWarning: number;
}

type Outcome = { ok: true } | { ok: false; retry: boolean; why: string };

/** An http(s) URL, or the reason it is not one. */
export function checkWebhookUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `--webhook must be an http:// or https:// URL, not ${JSON.stringify(redactUrl(url))}`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return `--webhook must be an http:// or https:// URL, not ${JSON.stringify(redactUrl(url))}`;
  }
  return undefined;
}

/** What an event is, for messages. */
function describe(p: Record<string, unknown>): string {
  if (p.event === 'drift') return `drift event #${String(p.drift_id)}`;
  const id = typeof p.intent_id === 'string' ? p.intent_id.slice(0, 8) : '?';
  return `${String(p.event)} event of intent ${id}`;
}

export class WebhookRelay {
  private readonly endpoints: Endpoint[];
  private readonly stop = new AbortController();
  private closed = false;

  constructor(
    urls: readonly string[],
    private readonly options: WebhookOptions,
  ) {
    this.endpoints = [...new Set(urls)].map((url) => ({
      url,
      shown: redactUrl(url),
      queue: [],
      sending: undefined,
      running: false,
      runner: undefined,
      delivered: 0,
      failed: 0,
      dropped: 0,
      lastDropWarning: 0,
    }));
  }

  /** Queues the event for every endpoint; returns at once. */
  push(payload: Record<string, unknown>): void {
    if (this.closed) return;
    const event: RelayEvent = { payload, id: randomUUID() };
    for (const e of this.endpoints) {
      if (e.queue.length >= this.options.queueSize) {
        const dropped = e.queue.shift() as RelayEvent;
        e.dropped++;
        const now = Date.now();
        if (e.dropped === 1 || now - e.lastDropWarning >= 1_000) {
          e.lastDropWarning = now;
          this.options.warn(
            `webhook ${e.shown}: queue full (${this.options.queueSize} waiting), dropped the oldest (${describe(dropped.payload)}); ${e.dropped} dropped so far`,
          );
        }
      }
      e.queue.push(event);
      if (!e.running) {
        e.running = true;
        e.runner = this.run(e);
      }
    }
  }

  /** Per endpoint: what was delivered, given up, dropped. */
  stats(): EndpointStats[] {
    return this.endpoints.map((e) => ({
      url: e.shown,
      delivered: e.delivered,
      failed: e.failed,
      dropped: e.dropped,
      abandoned: e.queue.length + (e.sending === undefined ? 0 : 1),
    }));
  }

  /** Stops: aborts what is in flight, abandons what is queued; resolves to the final stats. */
  async close(): Promise<EndpointStats[]> {
    if (!this.closed) {
      this.closed = true;
      this.stop.abort();
    }
    await Promise.all(this.endpoints.map((e) => e.runner));
    return this.stats();
  }

  private async run(e: Endpoint): Promise<void> {
    try {
      for (;;) {
        if (this.closed) return;
        const event = e.queue.shift();
        if (event === undefined) return;
        e.sending = event;
        let delivered = false;
        try {
          delivered = await this.deliver(e, event);
        } catch (err) {
          // nothing above should throw; if it does, one event is lost, not the sender
          this.options.warn(
            `webhook ${e.shown}: could not send the ${describe(event.payload)}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        if (this.closed) return; // still counted as abandoned (e.sending)
        e.sending = undefined;
        if (delivered) e.delivered++;
        else e.failed++;
      }
    } finally {
      e.running = false;
    }
  }

  private body(event: RelayEvent): Promise<string> {
    const { enrich } = this.options;
    event.body ??= (async () => {
      let extra: Record<string, unknown> = {};
      if (enrich !== undefined) {
        try {
          extra = await enrich(event.payload);
        } catch (err) {
          this.options.warn(
            `could not enrich the ${describe(event.payload)} (${err instanceof Error ? err.message : String(err)}): relaying it as it came`,
          );
        }
      }
      return JSON.stringify({ ...event.payload, ...extra });
    })();
    return event.body;
  }

  private async deliver(e: Endpoint, event: RelayEvent): Promise<boolean> {
    const body = await this.body(event);
    const { attempts, backoffMs } = this.options;
    const maxBackoffMs = this.options.maxBackoffMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) return false;
      const outcome = await this.attempt(e, event, body);
      if (outcome.ok) return true;
      if (this.closed) return false;
      if (!outcome.retry || attempt >= attempts) {
        this.options.warn(
          `webhook ${e.shown}: gave up on the ${describe(event.payload)} after ${attempt} attempt(s): ${outcome.why}`,
        );
        return false;
      }
      try {
        await sleep(Math.min(backoffMs * 2 ** (attempt - 1), maxBackoffMs), undefined, {
          signal: this.stop.signal,
        });
      } catch {
        return false; // stopped while waiting
      }
    }
  }

  private async attempt(e: Endpoint, event: RelayEvent, body: string): Promise<Outcome> {
    const { timeoutMs } = this.options;
    try {
      const res = await fetch(e.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': this.options.userAgent,
          'x-pggit-event': String(event.payload.event),
          'x-pggit-delivery': event.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeoutMs)]),
      });
      // read to the end, so the connection can be reused
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const retry =
        res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
      return { ok: false, retry, why: `HTTP ${res.status}` };
    } catch (err) {
      const x = err as { name?: string; message?: string; cause?: { code?: string } };
      const why =
        x.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (x.cause?.code ?? x.message ?? String(err));
      return { ok: false, retry: true, why };
    }
  }
}
