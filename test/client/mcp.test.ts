/**
 * The MCP server as an MCP client sees it: spawned over stdio by the SDK's
 * StdioClientTransport (`node --import tsx src/mcp/server.ts`, with
 * PGGIT_DATABASE_URL), against a real database.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CheckResult,
  Conflict,
  HistoryEntry,
  Intent,
  RegisterResult,
} from '../../src/client/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

let db: TestDatabase;
let mcp: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.DATABASE_URL;
  env.PGGIT_DATABASE_URL = db.url;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(root, 'src/mcp/server.ts')],
    cwd: root,
    env,
    stderr: 'inherit',
  });
  mcp = new Client({ name: 'pggit-test', version: '0.0.0' });
  await mcp.connect(transport);
});
afterAll(async () => {
  await mcp?.close();
  await db?.close();
});

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
}

async function call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return (await mcp.callTool({ name, arguments: args })) as ToolResult;
}

/** The JSON of a successful tool result. */
async function ok<T>(name: string, args: Record<string, unknown>): Promise<T> {
  const r = await call(name, args);
  expect(r.isError ?? false, r.content[0]?.text).toBe(false);
  expect(r.content[0]?.type).toBe('text');
  return JSON.parse(r.content[0]?.text ?? '') as T;
}

describe('pggit MCP server', () => {
  let a: Intent;
  let b: Intent;

  it('lists its tools, with input schemas', async () => {
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'pggit_check',
      'pggit_get_conflicts',
      'pggit_get_intent',
      'pggit_history',
      'pggit_list_intents',
      'pggit_register',
      'pggit_resolve_conflict',
      'pggit_transition',
    ]);
    const register = tools.find((t) => t.name === 'pggit_register');
    expect(register?.inputSchema.required).toEqual(
      expect.arrayContaining(['agent_id', 'feature_name', 'schema_changes']),
    );
    const transition = tools.find((t) => t.name === 'pggit_transition');
    expect(JSON.stringify(transition?.inputSchema)).toContain('in_progress');
  });

  it('pggit_register declares intents; the second one conflicts with the first', async () => {
    const first = await ok<RegisterResult>('pggit_register', {
      agent_id: 'mcp-a',
      feature_name: 'mcp orders',
      schema_changes: 'ALTER TABLE mcp_orders ADD COLUMN total numeric',
      risk_level: 'medium',
      metadata: { via: 'mcp' },
    });
    a = first.intent;
    expect(a).toMatchObject({
      status: 'registered',
      branch_name: 'feature/mcp_orders',
      risk_level: 'medium',
      metadata: { via: 'mcp' },
    });
    const second = await ok<RegisterResult>('pggit_register', {
      agent_id: 'mcp-b',
      feature_name: 'mcp totals',
      schema_changes: 'ALTER TABLE mcp_orders ADD COLUMN total integer',
      tables_affected: ['mcp_orders'],
    });
    b = second.intent;
    expect(b.status).toBe('conflicted');
    expect(second.conflicts).toContainEqual(
      expect.objectContaining({
        conflict_type: 'column',
        severity: 'error',
        affected_objects: ['public.mcp_orders.total'],
        intent_b: a.id,
      }),
    );
  });

  it('pggit_check is a dry run', async () => {
    const r = await ok<CheckResult>('pggit_check', {
      agent_id: 'mcp-c',
      feature_name: 'mcp drop',
      schema_changes: 'ALTER TABLE mcp_orders DROP COLUMN total',
    });
    expect(r.conflicts_detected).toBeGreaterThan(0);
    expect(r.conflicts.map((c) => c.with_agent)).toEqual(
      expect.arrayContaining(['mcp-a', 'mcp-b']),
    );
    expect(await ok<Intent[]>('pggit_list_intents', {})).toHaveLength(2);
  });

  it('pggit_get_intent and pggit_list_intents', async () => {
    expect(await ok<Intent>('pggit_get_intent', { intent_id: a.id })).toMatchObject({
      id: a.id,
      conflicts_with: [b.id],
    });
    expect(await ok<null>('pggit_get_intent', { intent_id: 'no-such-intent' })).toBeNull();
    const conflicted = await ok<Intent[]>('pggit_list_intents', { status: 'conflicted' });
    expect(conflicted.map((i) => i.id)).toEqual([b.id]);
    const ofA = await ok<Intent[]>('pggit_list_intents', { agent_id: 'mcp-a' });
    expect(ofA.map((i) => i.id)).toEqual([a.id]);
  });

  it('SQL errors are tool errors carrying the SQLSTATE, and the server keeps serving', async () => {
    const blocked = await call('pggit_transition', { intent_id: b.id, to: 'in_progress' });
    expect(blocked.isError).toBe(true);
    expect(blocked.content[0]?.text).toMatch(/^error \[55000\]: cannot move intent/);
    expect(blocked.content[0]?.text).toContain('hint: ');

    const unknown = await call('pggit_history', { intent_id: 'no-such-intent' });
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0]?.text).toMatch(/^error \[P0002\]: /);

    const empty = await call('pggit_register', {
      agent_id: '',
      feature_name: 'x',
      schema_changes: 'CREATE TABLE x (id int)',
    });
    expect(empty.isError).toBe(true);
    expect(empty.content[0]?.text).toMatch(/^error \[22023\]: .*agent_id/);

    expect(await ok<Intent>('pggit_get_intent', { intent_id: a.id })).toMatchObject({ id: a.id });
  });

  it('pggit_get_conflicts, pggit_resolve_conflict, pggit_transition and pggit_history', async () => {
    const conflicts = await ok<Conflict[]>('pggit_get_conflicts', { intent_id: b.id });
    expect(conflicts.length).toBeGreaterThanOrEqual(2);
    for (const c of conflicts) {
      const resolved = await ok<Conflict>('pggit_resolve_conflict', {
        conflict_id: c.id,
        resolution_notes: 'one total column, numeric',
        reviewed_by: 'mcp-lead',
      });
      expect(resolved).toMatchObject({ id: c.id, reviewed: true, reviewed_by: 'mcp-lead' });
    }
    expect((await ok<Intent>('pggit_get_intent', { intent_id: b.id })).status).toBe('registered');
    const started = await ok<Intent>('pggit_transition', {
      intent_id: b.id,
      to: 'in_progress',
      reason: 'resolved',
    });
    expect(started.status).toBe('in_progress');
    expect(
      (await ok<Intent>('pggit_transition', { intent_id: a.id, to: 'abandoned' })).status,
    ).toBe('abandoned');

    const history = await ok<HistoryEntry[]>('pggit_history', { intent_id: b.id });
    expect(history.map((h) => [h.old_status, h.new_status])).toEqual([
      [null, 'conflicted'],
      ['conflicted', 'registered'],
      ['registered', 'in_progress'],
    ]);
    expect(history[2]?.reason).toBe('resolved');
  });
});
