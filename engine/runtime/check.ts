import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tables } from '../../transforms/index.js';
import { loadConfig, readYamlFile, type Env, type LoadedConfig } from '../config/index.js';
import { configDiagnostic, sortDiagnostics, type ConfigDiagnostic } from '../config/diagnostics.js';
import { loadTestFile, testFileOf } from '../config/test-file.js';
import { compileChannel } from './channel.js';

/** The lookup tables of a loaded config, as the transforms read them (what `start` gives them at first). */
export function tablesOf(config: LoadedConfig): Tables {
  return Object.fromEntries(config.tables.map((t) => [t.name, { columns: t.columns, rows: t.rows }]));
}

/** What `compileChannel` finds wrong with a loaded channel, each at the YAML value it concerns. */
export function compileDiagnostics(ch: LoadedConfig['channels'][number], tables: Tables, env: Env): ConfigDiagnostic[] {
  const { problems } = compileChannel(ch.config, tables);
  if (problems.length === 0) return [];
  const yaml = readYamlFile(ch.file, env);
  return problems.map((p) => configDiagnostic(ch.file, yaml.position(p.path), p.error.code, p.error.message));
}

/**
 * What `interlace validate` reports: everything the loader finds (YAML, schemas, cross-file checks);
 * then, for each channel that loaded, everything `start` compiles — every expression, route condition,
 * body template and lookup — with `compileChannel`, the function `start` builds its processors with;
 * then the channel's test file (`NAME.test.yaml`), if any, as `interlace test` reads it. Each problem
 * points at the YAML value it concerns.
 */
export async function checkConfigDir(dir: string, env: Env): Promise<ConfigDiagnostic[]> {
  const { config, diagnostics } = await loadConfig(dir, { env });
  const tables = tablesOf(config);
  for (const ch of config.channels) diagnostics.push(...compileDiagnostics(ch, tables, env));
  for (const file of channelFiles(dir)) {
    const tests = testFileOf(file);
    if (!existsSync(tests)) continue;
    const ch = config.channels.find((c) => c.file === file);
    const channel = ch ? { name: ch.name, routes: ch.config.routes.map((r) => r.name) } : undefined;
    diagnostics.push(...loadTestFile(tests, env, channel).diagnostics);
  }
  return sortDiagnostics(diagnostics);
}

/** The channel files of a config directory, as the loader lists them (test files aside). */
function channelFiles(dir: string): string[] {
  const channels = join(dir, 'channels');
  if (!existsSync(channels)) return [];
  return readdirSync(channels)
    .filter((n) => !n.startsWith('.') && /\.ya?ml$/i.test(n) && !/\.test\.ya?ml$/i.test(n))
    .map((n) => join(channels, n));
}
