/**
 * The one mapping from SQL function names to CLI commands and MCP tools:
 * complete for the SQL API manifest, and applied to pggit's real hint texts.
 */
import { describe, expect, it } from 'vitest';
import { permissionHint, SQL_COUNTERPARTS, speak } from '../../src/cli/hints.js';
import { functions } from '../../src/plv8/functions.js';

describe('SQL function → CLI command / MCP tool', () => {
  it('every function of the SQL API has a CLI command (an MCP tool may be null)', () => {
    const api = functions.flatMap((f) => (f.api === undefined ? [] : [f.api]));
    expect(api.length).toBeGreaterThan(25);
    const missing = api.filter((name) => !(name in SQL_COUNTERPARTS));
    expect(missing).toEqual([]);
    const noCommand = api.filter((name) => SQL_COUNTERPARTS[name]?.cli == null);
    expect(noCommand).toEqual([]);
  });

  it('names the role of the functions granted to pggit_admin only, as the manifest grants them', () => {
    for (const f of functions) {
      if (f.api === undefined) continue;
      const adminOnly = f.adminApi === true && !f.agentApi;
      expect(SQL_COUNTERPARTS[f.api]?.role, f.api).toBe(adminOnly ? 'pggit_admin' : undefined);
    }
    expect(permissionHint('permission denied for function pggit_add_rule', 'cli')).toBe(
      '`pggit rules add --kind <kind>` is for members of pggit_admin: the database owner can GRANT pggit_admin TO your database user',
    );
    expect(permissionHint('permission denied for function pggit_register', 'mcp')).toBe(
      'the register_intent tool is for members of pggit_agent: the database owner can GRANT pggit_agent TO your database user',
    );
    expect(permissionHint('permission denied for table tb_pggit_intent', 'cli')).toBeUndefined();
  });

  it('every CLI counterpart is a command (and subcommand) the CLI has', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const { program } = buildProgram();
    for (const [fn, { cli }] of Object.entries(SQL_COUNTERPARTS)) {
      if (cli === null) continue;
      const words = cli.split(' ');
      expect(words[0]).toBe('pggit');
      // walk the words while the command has subcommands: `pggit rules add ...`
      let command = program;
      let depth = 0;
      for (const word of words.slice(1)) {
        if (command.commands.length === 0) break;
        const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
        expect(sub, `${fn} → ${cli}: no command "${word}"`).toBeDefined();
        command = sub as typeof program;
        depth++;
      }
      expect(depth, `${fn} → ${cli}`).toBeGreaterThan(0);
      // the options it names exist on that command
      for (const option of words.filter((w) => w.startsWith('--'))) {
        expect(
          command.options.some((o) => o.long === option),
          `${fn} → ${cli}: ${option}`,
        ).toBe(true);
      }
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
    expect(speak('renew it with pggit_heartbeat(intent_id)', 'mcp')).toBe(
      'renew it with the heartbeat_intent tool',
    );
    // table names, unknown functions, and functions without a tool stay
    expect(speak('tb_pggit_intent and pggit_frobnicate', 'cli')).toBe(
      'tb_pggit_intent and pggit_frobnicate',
    );
    expect(speak('see pggit_add_rule', 'mcp')).toBe('see pggit_add_rule');
  });
});
