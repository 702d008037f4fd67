import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { loadConfig, type ConfigDiagnostic, type Env, type LoadedConfig } from '../config/index.js';

/** The files of a proposed configuration, by path relative to the config directory (`channels/x.yaml`, `tables/t.csv`). */
export type ConfigFiles = Record<string, string>;

/** The folders a proposal replaces as a whole; everything else (engine.yaml, certificates, keys) stays the running one's. */
const PROPOSED = /^(channels|partners|tables)\/[A-Za-z0-9._-]+\.(ya?ml|csv)$/;

/** Why a set of proposed files cannot be taken, in one sentence, or undefined. */
export function filesProblem(files: unknown): string | undefined {
  if (files === null || typeof files !== 'object' || Array.isArray(files))
    return 'files must be an object of path → text (channels/NAME.yaml, partners/NAME.yaml, tables/NAME.csv)';
  for (const [path, text] of Object.entries(files)) {
    if (!PROPOSED.test(path)) return `file ${JSON.stringify(path)} is not channels/NAME.yaml, partners/NAME.yaml or tables/NAME.csv`;
    if (typeof text !== 'string') return `file ${path} must be text`;
  }
  return undefined;
}

/**
 * Loads a proposed configuration exactly as the engine would load it: a copy of the running config
 * directory whose channels, partners and tables are replaced by `files` (a folder absent from
 * `files` is kept as it runs), validated by the same loader. Diagnostics name the proposed paths.
 */
export async function loadProposed(
  runningDir: string,
  files: ConfigFiles,
  env: Env,
): Promise<{ config: LoadedConfig; diagnostics: ConfigDiagnostic[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-proposed-'));
  try {
    cpSync(runningDir, dir, { recursive: true });
    const folders = new Set(Object.keys(files).map((p) => p.split('/')[0]!));
    for (const folder of folders) rmSync(join(dir, folder), { recursive: true, force: true });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const { config, diagnostics } = await loadConfig(dir, { env });
    const named = (f: string) => (f.startsWith(dir) ? relative(dir, f) : f);
    return {
      config: { ...config, dir: runningDir, channels: config.channels.map((c) => ({ ...c, file: named(c.file) })) },
      diagnostics: diagnostics.map((d) => ({ ...d, file: named(d.file) })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The proposal files of a config directory on this machine (what the CLI sends). */
export function readConfigFiles(dir: string): ConfigFiles {
  const out: ConfigFiles = {};
  for (const folder of ['channels', 'partners', 'tables']) {
    let names: string[];
    try {
      names = readdirSync(join(dir, folder));
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      const path = `${folder}/${n}`;
      if (PROPOSED.test(path) && !/\.test\.ya?ml$/.test(n) && statSync(join(dir, path)).isFile())
        out[path] = readFileSync(join(dir, path), 'utf8');
    }
  }
  return out;
}
