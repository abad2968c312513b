/**
 * TEST-ONLY: the detector's corpus. Hand-written histories in each ORM's style
 * (corpus/histories/*.sql: an optional preamble, the part before `-- @history`,
 * runs first and is not compared) and the generated histories (generate.ts).
 * Every history runs, statement by statement, from an empty database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GeneratedHistory, generateCorpus, type Style } from './generate.js';

export interface CorpusHistory {
  name: string;
  style: Style | 'hand-written';
  preamble?: string;
  sql: string;
  /**
   * False when the libpg-query oracle cannot read the history (a first line
   * `-- @oracle: none (why)`): it lexes every literal with
   * standard_conforming_strings on. PostgreSQL still replays it.
   */
  oracle?: boolean;
}

const DIR = join(import.meta.dirname, 'histories');

export function handWrittenHistories(): CorpusHistory[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(DIR, f), 'utf8');
      const at = text.indexOf('-- @history');
      return {
        name: f,
        style: 'hand-written' as const,
        preamble: at >= 0 ? text.slice(0, at) : undefined,
        sql: at >= 0 ? text.slice(at) : text,
        oracle: !text.startsWith('-- @oracle: none'),
      };
    });
}

/** Histories per style and changes per history of the generated corpus. */
export const GENERATED = { perStyle: 4, steps: 110 };

export function generatedHistories(): GeneratedHistory[] {
  return generateCorpus(GENERATED.perStyle, GENERATED.steps);
}

export function corpus(): CorpusHistory[] {
  return [...handWrittenHistories(), ...generatedHistories()];
}
