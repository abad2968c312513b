/**
 * The one mapping from SQL function names to CLI commands and MCP tools:
 * complete for the SQL API manifest, and applied to pggit's real hint texts.
 */
import { describe, expect, it } from 'vitest';
import { SQL_COUNTERPARTS, speak } from '../../src/cli/hints.js';
import { functions } from '../../src/plv8/functions.js';

describe('SQL function → CLI command / MCP tool', () => {
  it('has an entry for every function of the SQL API (null where there is no counterpart)', () => {
    const api = functions.flatMap((f) => (f.api === undefined ? [] : [f.api]));
    expect(api.length).toBeGreaterThan(10);
    const missing = api.filter((name) => !(name in SQL_COUNTERPARTS));
    expect(missing).toEqual([]);
  });

  it('every CLI counterpart starts with a pggit command the CLI has', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const { program } = buildProgram();
    const commands = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
    for (const [fn, { cli }] of Object.entries(SQL_COUNTERPARTS)) {
      if (cli === null) continue;
      const command = cli.split(' ')[1] ?? '';
      expect(commands.has(command), `${fn} → ${cli}`).toBe(true);
    }
  });

  it('every MCP counterpart is a tool the server has', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { createServer } = await import('../../src/mcp/server.js');
    const server = createServer(() => {
      throw new Error('no tool is called here');
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'hints-test', version: '0' });
    await client.connect(clientSide);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    await client.close();
    for (const [fn, { mcp }] of Object.entries(SQL_COUNTERPARTS)) {
      if (mcp !== null) expect(tools, fn).toContain(mcp);
    }
  });

  it('rewrites the names in a hint, with or without an argument list, and nothing else', () => {
    const hint =
      'resolve them with pggit_resolve_conflict, or wait until the other intents merge or are abandoned';
    expect(speak(hint, 'cli')).toBe(
      'resolve them with `pggit resolve <conflict-id> --notes <text>`, or wait until the other intents merge or are abandoned',
    );
    expect(speak(hint, 'mcp')).toBe(
      'resolve them with the resolve_conflict tool, or wait until the other intents merge or are abandoned',
    );
    expect(speak('call pggit_reopen_conflict(conflict_id, reason) first', 'cli')).toBe(
      'call `pggit reopen <conflict-id> --reason <text>` first',
    );
    expect(speak('see pggit_mark_in_progress() and pggit_history', 'mcp')).toBe(
      'see the start_intent tool and the history tool',
    );
    // table names, unknown and uncounterparted functions stay
    expect(speak('tb_pggit_intent and pggit_detect and pggit_frobnicate', 'cli')).toBe(
      'tb_pggit_intent and pggit_detect and pggit_frobnicate',
    );
  });
});
