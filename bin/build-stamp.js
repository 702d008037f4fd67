// Marks dist/ as built from the current sources (bin/launch.js compares source times with it).
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/.build-stamp', import.meta.url), new Date().toISOString() + '\n');
