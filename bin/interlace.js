#!/usr/bin/env node
// The interlace command. TypeScript sources are loaded through tsx, so a clone runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../engine/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
