/** The machine, the server, the commit and the date a run was taken on. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { once, root } from './db.js';

export interface Meta {
  date: string;
  mode: 'full' | 'smoke';
  commit: string;
  branch: string;
  dirty: boolean;
  cores: number;
  cpu: string;
  memory_gib: number;
  load_average_start: number[];
  load_average_end?: number[];
  node: string;
  node_v8: string;
  postgres: string;
  postgres_version: string;
  /** pggit_version()->>'runtime' */
  runtime: string | null;
  /** plv8_version(), where the runtime has it */
  plv8_version: string | null;
  pggit: unknown;
  seconds?: number;
}

const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
};

export async function collectMeta(url: string, smoke: boolean): Promise<Meta> {
  const [row] = await once<{
    server_version: string;
    version: string;
    pggit: { runtime?: string | null };
    plv8: string | null;
  }>(
    url,
    `SELECT current_setting('server_version') AS server_version, version() AS version,
            pggit_version() AS pggit,
            CASE WHEN to_regproc('plv8_version') IS NOT NULL THEN 'yes' END AS plv8`,
  );
  let plv8: string | null = null;
  if (row?.plv8) {
    const [v] = await once<{ v: string }>(url, 'SELECT plv8_version()::text AS v');
    plv8 = v?.v ?? null;
  }
  return {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    commit: git('rev-parse', 'HEAD') || 'unknown',
    branch: git('rev-parse', '--abbrev-ref', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    load_average_start: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    node_v8: process.versions.v8,
    postgres: row?.server_version ?? 'unknown',
    postgres_version: row?.version ?? 'unknown',
    runtime: row?.pggit?.runtime ?? null,
    plv8_version: plv8,
    pggit: row?.pggit ?? null,
  };
}
