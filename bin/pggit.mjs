#!/usr/bin/env node
// The pggit command. Runs the TypeScript CLI (src/cli/main.ts) in this process
// through tsx's loader, so signals (Ctrl-C for `pggit watch`) and exit codes
// behave as for any node program. Works from `npx pggit` and any cwd.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv);
