/**
 * The `pggit` executable's body (bin/pggit.mjs imports the built dist/cli/bin.js).
 * The exit status is set, not forced: output drains and the process ends
 * when nothing is left to do.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv);
