/**
 * Where the planned DDL comes from: `--schema-changes <text | @file | ->` or
 * `--file <paths or globs...>` (the migration files a change adds, as a CI
 * job passes them).
 *
 * Several files are one change, i.e. one intent: they are read in the order
 * given (each glob's matches sorted by path, duplicates dropped) and joined
 * into one script, which one SQL call checks or registers. A glob that
 * matches no file, or a path that cannot be read, is a usage error.
 */
import { readFileSync, statSync } from 'node:fs';

/** A mistake in how the command was called: exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ScriptOptions {
  schemaChanges?: string;
  file?: string[];
}

export interface Script {
  text: string;
  /** The files read, in order (empty for inline text and stdin). */
  files: string[];
}

function readFile(path: string, what: string): string {
  try {
    if (statSync(path).isDirectory()) throw new Error('is a directory');
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.message;
    throw new UsageError(`cannot read ${what} ${path}: ${why}`);
  }
}

/** The files `--file` names: literal paths as given, globs expanded (sorted). */
export async function expandFiles(patterns: readonly string[], cwd = process.cwd()) {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    if (!seen.has(f)) {
      seen.add(f);
      files.push(f);
    }
  };
  let tinyglobby: typeof import('tinyglobby') | undefined;
  for (const pattern of patterns) {
    if (pattern === '') throw new UsageError('--file needs a path or a glob, not ""');
    tinyglobby ??= await import('tinyglobby');
    if (!tinyglobby.isDynamicPattern(pattern)) {
      add(pattern);
      continue;
    }
    const matches = await tinyglobby.glob(pattern, {
      cwd,
      onlyFiles: true,
      expandDirectories: false,
      dot: false,
    });
    if (matches.length === 0) throw new UsageError(`--file ${pattern} matches no file`);
    for (const m of matches.sort()) add(m);
  }
  return files;
}

/** The DDL: exactly one of --schema-changes (text, @file or - for stdin) and --file. */
export async function readScript(
  opts: ScriptOptions,
  readStdin: () => Promise<string>,
): Promise<Script> {
  const given = (opts.schemaChanges !== undefined ? 1 : 0) + (opts.file !== undefined ? 1 : 0);
  if (given !== 1) {
    throw new UsageError(
      given === 0
        ? 'give the planned DDL: --schema-changes <sql | @file | ->, or --file <paths or globs>'
        : 'give the planned DDL once: --schema-changes or --file, not both',
    );
  }
  const inline = opts.schemaChanges;
  if (inline !== undefined) {
    if (inline === '-') return { text: await readStdin(), files: [] };
    if (inline.startsWith('@')) {
      const path = inline.slice(1);
      return { text: readFile(path, '--schema-changes'), files: [path] };
    }
    return { text: inline, files: [] };
  }
  const patterns = opts.file ?? [];
  if (patterns.length === 1 && patterns[0] === '-') return { text: await readStdin(), files: [] };
  const files = await expandFiles(patterns);
  // A newline ends a trailing `--` comment; the `;` ends a last statement
  // that has none, so no file's end runs into the next file's start.
  const text = files.map((f) => readFile(f, '--file')).join('\n;\n');
  return { text, files };
}
