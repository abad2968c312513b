// The checkout's install step (scripts/local-db.sh migrate): installs or
// upgrades pggit from this checkout's source into the database at the URL.
// Users run `pggit install` from the package instead; both call src/install.
//
//   npx tsx scripts/install-local.ts postgres://...
import { install } from '../src/install/index.js';

const url = process.argv[2];
if (!url) {
  console.error('usage: tsx scripts/install-local.ts <database-url>');
  process.exit(2);
}
const r = await install({ databaseUrl: url, log: (line) => console.error(line) });
console.error(
  `pggit ${r.version} installed in schema ${r.schema} (API in ${r.apiSchema})${r.applied.length > 0 ? `; applied ${r.applied.join(', ')}` : ''}`,
);
