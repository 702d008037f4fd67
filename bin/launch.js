// Chooses how the TypeScript sources run: the compiled build in dist/ (made by `npm run build`, which
// `npm ci` runs) when it is at least as new as every source file, else the sources through tsx.
// The build starts faster and uses about 80 MB less memory (no loader threads).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['lib', 'model', 'parsers', 'channels', 'routes', 'transforms', 'engine'];
const STAMP = join(ROOT, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (process.env.INTERLACE_FROM_SOURCE === '1') return false;
  let stamp;
  try {
    stamp = statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  return SOURCES.every((d) => newestSource(join(ROOT, d)) <= stamp);
}

/** Imports `relative` (a path without extension, from the project root) from dist/ or from the sources. */
export async function load(relative) {
  if (buildIsFresh()) return import(pathToFileURL(join(ROOT, 'dist', `${relative}.js`)).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(ROOT, `${relative}.ts`)).href);
}
