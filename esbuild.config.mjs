// Builds the PLV8 bundle and the SQL that installs it.
//
//   node esbuild.config.mjs            write migrations/generated/pggit-functions.sql
//   node esbuild.config.mjs --check    exit 1 when the committed file is stale
//
// src/plv8/entry.ts becomes one ES2020 script with no require and no Node API,
// held by pggit_bundle_init() and stamped with its content hash. Every entry of
// src/plv8/functions.ts becomes a thin LANGUAGE plv8 wrapper that (re)loads the
// bundle when its context holds none or an older one, then calls into it.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
export const generatedSqlPath =
  process.env.PGGIT_GENERATED_SQL ?? join(root, 'migrations/generated/pggit-functions.sql');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

async function bundleEntry() {
  const result = await esbuild.build({
    entryPoints: [join(root, 'src/plv8/entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'pggitBundle',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2020',
    charset: 'ascii',
    legalComments: 'none',
    treeShaking: true,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

async function loadManifest() {
  const result = await esbuild.build({
    entryPoints: [join(root, 'src/plv8/functions.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  const url = `data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`;
  return import(url);
}

const signature = (schema, name, args) =>
  `${schema}.${name}(${args.map((a) => a.type).join(', ')})`;
const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;
const quoteName = (n) => `"${n}"`;

// graphile-migrate placeholders, filled in by the installer with the schema
// names chosen at install (plain lower-case identifiers, checked there).
export const SCHEMA = ':PGGIT_SCHEMA';
export const API_SCHEMA = ':PGGIT_API_SCHEMA';
/**
 * Where the rights change, the search_path is pinned and every name in
 * pggit's SQL is qualified: the API functions and the event-trigger
 * functions are SECURITY DEFINER with this setting. pggit's own functions
 * behind them run as the owner inside those calls (and their plans are the
 * owner's to trust), so they need neither: no caller but the owner may
 * execute them, and each SET clause would cost a call more than the work
 * (setting search_path throws away the cached namespace look-ups).
 */
const SEARCH_PATH = 'SET search_path = pg_catalog, pg_temp';
/**
 * The registry's statements are prepared once and run with generic plans: a
 * statement with an array parameter would otherwise be planned afresh at
 * every call (PostgreSQL keeps choosing a custom plan when the generic one's
 * estimate looks dearer), which cost more than running it. Set by the API
 * functions that call into PLV8, for the statements the call prepares.
 */
const GENERIC_PLANS = 'SET plan_cache_mode = force_generic_plan';
/** The bundle's home in a PLV8 context: one per pggit schema, so two installs never mix. */
const GLOBAL = `globalThis['__pggit:${SCHEMA}']`;

const isEntryPoint = (fn) => fn.returns === 'event_trigger';

/**
 * An internal function written in SQL or PL/pgSQL. A query given as SQL
 * becomes `RETURN (query)` in PL/pgSQL: the session keeps its plan, where a
 * LANGUAGE sql function that is not inlined plans its body at every call.
 */
function renderBodied(fn) {
  const sig = signature(SCHEMA, fn.name, fn.args);
  const params = fn.args.map((a) => `${quoteName(a.name)} ${a.passAs?.type ?? a.type}`).join(', ');
  const text = fn.body.language === 'sql' ? `BEGIN RETURN (${fn.body.text}); END` : fn.body.text;
  if (text.includes('$pggit_sql$')) throw new Error(`${fn.name}'s body contains $pggit_sql$`);
  const rights = isEntryPoint(fn) ? ` SECURITY DEFINER ${SEARCH_PATH}` : '';
  return [
    `CREATE OR REPLACE FUNCTION ${SCHEMA}.${fn.name}(${params})`,
    `  RETURNS ${fn.returns}`,
    `  LANGUAGE plpgsql ${fn.volatility}${rights}`,
    `AS $pggit_sql$${text.startsWith('\n') ? '' : ' '}${text}${text.endsWith('\n') ? '' : ' '}$pggit_sql$;`,
    `COMMENT ON FUNCTION ${sig} IS ${sqlString(fn.comment)};`,
    `REVOKE ALL ON FUNCTION ${sig} FROM PUBLIC;`,
    '',
  ].join('\n');
}

const grants = (fn, sig) => [
  ...(fn.agentApi ? [`GRANT EXECUTE ON FUNCTION ${sig} TO pggit_agent;`] : []),
  ...(fn.adminApi ? [`GRANT EXECUTE ON FUNCTION ${sig} TO pggit_admin;`] : []),
];

/** The internal LANGUAGE plv8 function: loads the bundle when needed, then calls into it. */
function renderInternal(fn, hash, tag) {
  if (fn.body !== undefined) return renderBodied(fn);
  const params = fn.args.map((a) => `${quoteName(a.name)} ${a.passAs?.type ?? a.type}`).join(', ');
  if (fn.returns === 'trigger')
    throw new Error(`${fn.name}: triggers are PL/pgSQL (no row through JS)`);
  const call = `pggit.functions.${fn.js}(${fn.args.map((a) => a.name).join(', ')})`;
  const sig = signature(
    SCHEMA,
    fn.name,
    fn.args.map((a) => ({ type: a.passAs?.type ?? a.type })),
  );
  return [
    `CREATE OR REPLACE FUNCTION ${SCHEMA}.${fn.name}(${params})`,
    `  RETURNS ${fn.returns}`,
    `  LANGUAGE plv8 ${fn.volatility}`,
    `AS ${tag}`,
    `var pggit = ${GLOBAL};`,
    `if (pggit === undefined || pggit.buildHash !== '${hash}') {`,
    `  plv8.find_function('${SCHEMA}.bundle_init')();`,
    `  pggit = ${GLOBAL};`,
    '}',
    `return ${call};`,
    `${tag};`,
    `COMMENT ON FUNCTION ${sig} IS ${sqlString(fn.comment)};`,
    `REVOKE ALL ON FUNCTION ${sig} FROM PUBLIC;`,
    '',
  ].join('\n');
}

/**
 * The SQL API function: SECURITY DEFINER, the search_path pinned, calling
 * pggit's own function (and, for writers, reading the intent back in SQL).
 * PL/pgSQL, whose plans a session keeps.
 */
function renderApi(fn) {
  const params = fn.args
    .map(
      (a) =>
        `${quoteName(a.name)} ${a.type}${a.default === undefined ? '' : ` DEFAULT ${a.default}`}`,
    )
    .join(', ');
  const passed = fn.args.map((a, i) => a.passAs?.expr ?? `$${i + 1}`).join(', ');
  const call = `${SCHEMA}.${fn.name}(${passed})`;
  const body =
    fn.apiResult === undefined
      ? `BEGIN RETURN ${call}; END`
      : `DECLARE r ${fn.returns}; BEGIN r := ${call}; RETURN ${fn.apiResult}; END`;
  const sig = signature(API_SCHEMA, fn.api, fn.args);
  const settings = fn.js !== undefined ? `${SEARCH_PATH} ${GENERIC_PLANS}` : SEARCH_PATH;
  return [
    `CREATE OR REPLACE FUNCTION ${API_SCHEMA}.${fn.api}(${params})`,
    `  RETURNS ${fn.returns}`,
    `  LANGUAGE plpgsql ${fn.volatility} SECURITY DEFINER ${settings}`,
    `AS $pggit_api$ ${body} $pggit_api$;`,
    `COMMENT ON FUNCTION ${sig} IS ${sqlString(fn.comment)};`,
    `REVOKE ALL ON FUNCTION ${sig} FROM PUBLIC;`,
    ...grants(fn, sig),
    '',
  ].join('\n');
}

function renderTrigger(t) {
  return `CREATE OR REPLACE TRIGGER ${t.name} ${t.timing} ${t.events} ON ${SCHEMA}.${t.table} FOR EACH ${t.level} EXECUTE FUNCTION ${SCHEMA}.${t.fn}();`;
}

/**
 * Event triggers: only a superuser may create them. An install that runs as
 * one creates those missing; any other says so and pggit works without them.
 */
function renderEventTriggers(list) {
  const create = list.map(
    (
      e,
    ) => `    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = '${e.name}_${SCHEMA}') THEN
      CREATE EVENT TRIGGER ${e.name}_${SCHEMA} ON ${e.event} EXECUTE FUNCTION ${SCHEMA}.${e.fn}();
    END IF;`,
  );
  return [
    "-- The drift guard's event triggers (superusers only).",
    'DO $pggit_evt$',
    'BEGIN',
    '  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN',
    ...create,
    '  ELSE',
    "    RAISE NOTICE 'pggit: the drift guard was not installed: creating event triggers needs a superuser (run pggit install as one to add it; pggit works without it)';",
    '  END IF;',
    'END',
    '$pggit_evt$;',
  ].join('\n');
}

/** Renders the whole generated SQL file from source. Deterministic. */
export async function renderSql() {
  const bundle = await bundleEntry();
  const { functions, triggers, eventTriggers } = await loadManifest();
  // The hash covers the bundle and the manifest, so any change to either gives
  // a new tag and a new stamp, and every backend reloads.
  const hash = createHash('sha256')
    .update(bundle)
    .update(JSON.stringify({ functions, triggers, eventTriggers }))
    .digest('hex')
    .slice(0, 16);
  const tag = `$pggit_${hash}$`;
  if (bundle.includes(tag)) throw new Error(`the bundle contains its own dollar-quote tag ${tag}`);
  // graphile-migrate replaces these words anywhere in the file: the bundle must hold none.
  for (const word of [':PGGIT_', ':DATABASE_NAME', ':DATABASE_OWNER', '$pggit_api$']) {
    if (bundle.includes(word)) throw new Error(`the bundle contains ${word}`);
  }
  for (const fn of functions) {
    if (fn.comment.includes(tag)) throw new Error(`${fn.name}'s comment contains the tag ${tag}`);
  }
  const init = functions.find((fn) => fn.name === 'bundle_init');
  const parts = [
    '-- Generated by esbuild.config.mjs from src/plv8/entry.ts and src/plv8/functions.ts.',
    '-- Do not edit: run `npm run build`. A test fails when this file is stale.',
    `-- pggit ${pkg.version}, bundle ${hash}. ${SCHEMA} and ${API_SCHEMA} are filled in by pggit install.`,
    '',
    `CREATE OR REPLACE FUNCTION ${SCHEMA}.bundle_init()`,
    '  RETURNS void',
    '  LANGUAGE plv8 VOLATILE',
    `AS ${tag}`,
    bundle.trimEnd(),
    `${GLOBAL} = { buildHash: '${hash}', functions: pggitBundle.create(plv8, { schema: '${SCHEMA}', apiSchema: '${API_SCHEMA}', buildHash: '${hash}' }) };`,
    `${tag};`,
    `COMMENT ON FUNCTION ${SCHEMA}.bundle_init() IS ${sqlString(`${init.comment} Bundle ${hash}.`)};`,
    `REVOKE ALL ON FUNCTION ${SCHEMA}.bundle_init() FROM PUBLIC;`,
    '',
    ...functions.filter((fn) => fn !== init).map((fn) => renderInternal(fn, hash, tag)),
    ...functions.filter((fn) => fn.api !== undefined).map(renderApi),
    ...triggers.map(renderTrigger),
    '',
    renderEventTriggers(eventTriggers),
    '',
    '-- What is installed here, for pggit_version() and the installer.',
    `INSERT INTO ${SCHEMA}.tb_pggit_settings (key, value) VALUES ('version', '${pkg.version}'), ('bundle_hash', '${hash}')`,
    '  ON CONFLICT (key) DO UPDATE SET value = excluded.value;',
    '',
    '-- Active intents stored under another object model: their objects and keys derived again.',
    `SELECT ${SCHEMA}.rederive_intents();`,
    '',
  ];
  return { sql: parts.join('\n'), hash, bundle };
}

async function main() {
  const check = process.argv.includes('--check');
  const { sql, hash } = await renderSql();
  if (check) {
    let current = '';
    try {
      current = readFileSync(generatedSqlPath, 'utf8');
    } catch {}
    if (current !== sql) {
      console.error(`${generatedSqlPath} is stale: run \`npm run build\``);
      process.exit(1);
    }
    console.error(`generated SQL is current (bundle ${hash})`);
    return;
  }
  writeFileSync(generatedSqlPath, sql);
  console.error(`wrote ${generatedSqlPath} (bundle ${hash}, ${sql.length} bytes)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
