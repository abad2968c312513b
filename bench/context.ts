/** What every section gets: the mode, the server, a log, and the populated databases (made once). */
import type { BenchServer } from './db.js';
import { connect } from './db.js';
import type { Mode } from './types.js';
import { createFloor, type Loaded, load, population } from './workload.js';

export interface PopulatedDb {
  n: number;
  url: string;
  loaded: Loaded;
}

export class Context {
  private readonly dbs = new Map<number, Promise<PopulatedDb>>();

  constructor(
    readonly mode: Mode,
    readonly server: BenchServer,
    readonly log: (line: string) => void,
  ) {}

  /** A database with the workload's n active intents (real registrations) and the floor table. */
  populated(n: number): Promise<PopulatedDb> {
    let p = this.dbs.get(n);
    if (p === undefined) {
      p = this.populate(n);
      this.dbs.set(n, p);
    }
    return p;
  }

  /** The populations made so far, for the loading figures. */
  async populations(): Promise<PopulatedDb[]> {
    const out: PopulatedDb[] = [];
    for (const p of this.dbs.values()) {
      try {
        out.push(await p);
      } catch {
        // reported by the section that needed it
      }
    }
    return out.sort((a, b) => a.n - b.n);
  }

  private async populate(n: number): Promise<PopulatedDb> {
    const url = await this.server.clone(`n${n}`);
    this.log(`loading ${n} intents (pggit_register)...`);
    const loaded = await load(url, population(n));
    this.log(
      `  ${n} intents, ${loaded.conflicts} conflicts, in ${(loaded.ms / 1000).toFixed(1)} s on ${loaded.connections} connections`,
    );
    const c = await connect(url);
    try {
      // every conflict the registrations returned is a row, no more and no fewer
      const rows = await c.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pggit.tb_pggit_conflict',
      );
      if (rows.rows[0]?.n !== loaded.conflicts) {
        throw new Error(
          `the load counted ${loaded.conflicts} conflicts, the table holds ${rows.rows[0]?.n}`,
        );
      }
      await createFloor(c);
      // what autovacuum would have done by then, for pggit's tables and the floor alike
      await c.query('VACUUM ANALYZE');
    } finally {
      await c.end();
    }
    return { n, url, loaded };
  }
}
