/**
 * The names PostgreSQL resolves to pg_catalog before any schema of the search
 * path (pg_catalog is searched first when it is not listed): the lists in
 * src/detector/catalog.ts, read from a live server. Shared by the generator
 * (`npx tsx test/detector/tools/catalog-lists.ts <url>` rewrites the file) and
 * by test/detector/catalog-lists.db.test.ts, which fails when they differ.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';

export interface CatalogLists {
  version: string;
  functions: string[];
  relations: string[];
  types: string[];
}

export async function readCatalogLists(url: string): Promise<CatalogLists> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const list = async (sql: string) =>
      (await c.query<{ n: string }>(sql)).rows
        .map((r) => r.n)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const version = (
      await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")
    ).rows[0]?.v as string;
    return {
      version,
      functions: await list(
        "SELECT DISTINCT proname AS n FROM pg_proc p WHERE pronamespace = 'pg_catalog'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' AND d.refobjid <> (SELECT oid FROM pg_extension WHERE extname = 'plpgsql'))",
      ),
      relations: await list(
        "SELECT relname AS n FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind IN ('r', 'v', 'm', 'p', 'S', 'f')",
      ),
      types: await list(
        "SELECT typname AS n FROM pg_type WHERE typnamespace = 'pg_catalog'::regnamespace AND typcategory <> 'A'",
      ),
    };
  } finally {
    await c.end();
  }
}

export function renderCatalogModule(l: CatalogLists): string {
  const chunk = (xs: string[]) => {
    const lines: string[] = [];
    let line = '';
    for (const x of xs) {
      if (line.length + x.length + 1 > 90) {
        lines.push(line);
        line = '';
      }
      line += (line === '' ? '' : ' ') + x;
    }
    if (line !== '') lines.push(line);
    return lines.map((s) => `  '${s} ',`).join('\n');
  };
  return `/**
 * Names that live in pg_catalog, which PostgreSQL searches before the search
 * path whenever the path does not list it: an unqualified \`lower(x)\`, \`pg_type\`
 * or \`regclass\` is pg_catalog's, never public's. Read from PostgreSQL ${l.version}
 * by test/detector/tools/catalog-lists.ts (catalog-lists.db.test.ts fails when
 * the server's lists differ). Generated: do not edit.
 */

/**
 * A set of names, built from its text the first time it is asked: many calls
 * (every one that parses no function call, type or pg_ relation) never ask,
 * and a new connection's first call then does not pay for it.
 */
export class Names implements Iterable<string> {
  private built: Set<string> | undefined;
  constructor(private readonly text: () => string[]) {}
  has(name: string): boolean {
    return this.names().has(name);
  }
  [Symbol.iterator](): Iterator<string> {
    return this.names()[Symbol.iterator]();
  }
  private names(): Set<string> {
    this.built ??= new Set(this.text().join('').trim().split(' '));
    return this.built;
  }
}

/** Distinct pg_proc.proname in pg_catalog (functions, aggregates, window functions, procedures). */
export const CATALOG_FUNCTIONS = new Names(() => [
${chunk(l.functions)}
]);

/** Tables, views and sequences in pg_catalog. */
export const CATALOG_RELATIONS = new Names(() => [
${chunk(l.relations)}
]);

/** Types in pg_catalog (array types excluded). */
export const CATALOG_TYPES = new Names(() => [
${chunk(l.types)}
]);
`;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const url = process.argv[2] ?? process.env.DATABASE_URL;
  if (!url) throw new Error('usage: catalog-lists.ts <postgres url>');
  const lists = await readCatalogLists(url);
  writeFileSync(
    new URL('../../../src/detector/catalog.ts', import.meta.url),
    renderCatalogModule(lists),
  );
}
