/**
 * pggit's MCP server, over stdio: lets an AI agent declare intents, check for
 * conflicts and move its intents along the lifecycle. Each tool is one call of
 * the client (src/client), i.e. one SQL function; results are JSON text, SQL
 * errors come back as tool errors (`isError: true`) starting with
 * `error [SQLSTATE]: message`.
 *
 * Run:     npx tsx src/mcp/server.ts
 * Database: PGGIT_DATABASE_URL, then DATABASE_URL, else the project-local one
 *           (scripts/local-db.sh url); connected on the first tool call.
 *
 * MCP client configuration, e.g.:
 *   { "command": "npx", "args": ["tsx", "/path/to/pggit/src/mcp/server.ts"],
 *     "env": { "PGGIT_DATABASE_URL": "postgres://agent@host/db" } }
 */
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  connectionStringFromEnv,
  PggitClient,
  PggitError,
  packageVersion,
  RISK_LEVELS,
  STATUSES,
  TRANSITION_TARGETS,
} from '../client/index.js';

/** A tool result holding JSON. */
const json = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value ?? null, null, 2) }],
});

/** A tool error: `error [SQLSTATE]: message`, then detail and hint lines. */
export function toolError(err: unknown): CallToolResult {
  const lines: string[] = [];
  if (err instanceof PggitError) {
    lines.push(`error [${err.code}]: ${err.message}`);
    if (err.detail) lines.push(`detail: ${err.detail}`);
    if (err.hint) lines.push(`hint: ${err.hint}`);
  } else {
    lines.push(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }] };
}

const intentId = z.string().describe('the intent id pggit_register returned');
const intentInput = {
  agent_id: z.string().describe('who is changing the schema (your agent id)'),
  feature_name: z.string().describe('the feature, e.g. "add user email verification"'),
  schema_changes: z.string().describe('the planned DDL script (one or more SQL statements)'),
  tables_affected: z
    .array(z.string())
    .optional()
    .describe('tables the change touches beyond those the DDL names'),
};

/**
 * The MCP server over a client factory (called once, on the first tool call,
 * so a missing database is a tool error rather than a dead server).
 */
export function createServer(getClient: () => PggitClient): McpServer {
  const server = new McpServer({ name: 'pggit', version: packageVersion() });
  let client: PggitClient | undefined;

  const run =
    <A>(fn: (c: PggitClient, args: A) => Promise<unknown>) =>
    async (args: A): Promise<CallToolResult> => {
      try {
        client ??= getClient();
        return json(await fn(client, args));
      } catch (err) {
        return toolError(err);
      }
    };

  server.registerTool(
    'pggit_register',
    {
      title: 'Register a schema-change intent',
      description:
        'Declare, before coding, the DDL you plan to apply. pggit records conflicts with the active intents of other agents (on both sides), allocates a branch name and returns {intent, conflicts, warnings}. Status is "conflicted" when there are open conflicts.',
      inputSchema: {
        ...intentInput,
        estimated_duration_ms: z.number().int().min(0).optional(),
        risk_level: z.enum(RISK_LEVELS).optional().describe('default low'),
        metadata: z.record(z.string(), z.unknown()).optional().describe('any JSON object'),
      },
    },
    run((c, a) =>
      c.register({
        agentId: a.agent_id,
        featureName: a.feature_name,
        schemaChanges: a.schema_changes,
        tablesAffected: a.tables_affected,
        estimatedDurationMs: a.estimated_duration_ms,
        riskLevel: a.risk_level,
        metadata: a.metadata,
      }),
    ),
  );

  server.registerTool(
    'pggit_check',
    {
      title: 'Check an intent for conflicts (dry run)',
      description:
        'The conflicts pggit_register would record for this DDL, with the objects it touches and parse warnings. Writes nothing.',
      inputSchema: intentInput,
      annotations: { readOnlyHint: true },
    },
    run((c, a) =>
      c.check({
        agentId: a.agent_id,
        featureName: a.feature_name,
        schemaChanges: a.schema_changes,
        tablesAffected: a.tables_affected,
      }),
    ),
  );

  server.registerTool(
    'pggit_get_intent',
    {
      title: 'Get one intent',
      description: 'The intent as JSON (status, branch_name, conflicts_with, ...), or null.',
      inputSchema: { intent_id: intentId },
      annotations: { readOnlyHint: true },
    },
    run((c, a) => c.getIntent(a.intent_id)),
  );

  server.registerTool(
    'pggit_list_intents',
    {
      title: 'List intents',
      description: 'Intents, newest first, optionally filtered by status and agent.',
      inputSchema: {
        status: z.enum(STATUSES).optional(),
        agent_id: z.string().optional(),
      },
      annotations: { readOnlyHint: true },
    },
    run((c, a) => c.listIntents({ status: a.status, agentId: a.agent_id })),
  );

  server.registerTool(
    'pggit_transition',
    {
      title: 'Move an intent along its lifecycle',
      description:
        'registered → in_progress → completed → merged, or abandoned from any unfinished state. A conflicted intent cannot start while error-severity conflicts are open. Returns the intent.',
      inputSchema: {
        intent_id: intentId,
        to: z.enum(TRANSITION_TARGETS),
        reason: z.string().optional().describe('why, recorded in the history'),
      },
    },
    run((c, a) => c.transition(a.intent_id, a.to, { reason: a.reason })),
  );

  server.registerTool(
    'pggit_get_conflicts',
    {
      title: 'Conflicts of an intent',
      description:
        'Every conflict the intent is part of, on either side: type, severity, affected objects, resolution suggestions, review state.',
      inputSchema: { intent_id: intentId },
      annotations: { readOnlyHint: true },
    },
    run((c, a) => c.getConflicts(a.intent_id)),
  );

  server.registerTool(
    'pggit_resolve_conflict',
    {
      title: 'Resolve a conflict',
      description:
        'Mark a conflict reviewed with notes on how it was resolved; intents left without open conflicts return to registered.',
      inputSchema: {
        conflict_id: z.number().int(),
        resolution_notes: z.string(),
        reviewed_by: z.string().optional(),
      },
    },
    run((c, a) => c.resolveConflict(a.conflict_id, a.resolution_notes, a.reviewed_by)),
  );

  server.registerTool(
    'pggit_history',
    {
      title: 'History of an intent',
      description: 'The audit trail of an intent, oldest first: status changes, who and why.',
      inputSchema: { intent_id: intentId },
      annotations: { readOnlyHint: true },
    },
    run((c, a) => c.history(a.intent_id)),
  );

  const close = server.close.bind(server);
  server.close = async () => {
    await close();
    await client?.close();
  };
  return server;
}

export async function runStdioServer(): Promise<void> {
  const server = createServer(() => new PggitClient(connectionStringFromEnv()));
  const transport = new StdioServerTransport();
  const shutdown = () => {
    server.close().finally(() => process.exit(0));
  };
  process.stdin.on('end', shutdown);
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await server.connect(transport);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStdioServer().catch((err) => {
    process.stderr.write(`pggit mcp: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
