#!/usr/bin/env node
// The interlace command: runs the compiled build when it is current, else the sources through tsx.
import { load } from './launch.js';

const { main } = await load('engine/cli/main');
process.exitCode = await main(process.argv.slice(2));
