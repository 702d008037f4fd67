import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransformConfigError, type Tables } from '../../transforms/index.js';
import { loadConfig, readYamlFile, type Env, type LoadedConfig } from '../config/index.js';
import { configDiagnostic, sortDiagnostics, type ConfigDiagnostic, type Position } from '../config/diagnostics.js';
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
  const lines = readFileSync(ch.file, 'utf8').split(/\r?\n/);
  return problems.map((p) => {
    const at = yaml.position(p.path);
    const offset = p.error instanceof TransformConfigError ? p.error.position : undefined;
    return configDiagnostic(ch.file, offset ? within(at, offset, ch.config, p.path, lines) : at, p.error.code, p.error.message);
  });
}

/**
 * The position of the character an expression error points at (`offset`, 1-based, in the expression),
 * when the expression is written on one line exactly as it is compiled (plain, or quoted without
 * escapes); else the position of the value.
 */
function within(at: Position, offset: number, config: unknown, path: Array<string | number>, lines: string[]): Position {
  let text: unknown = config;
  for (const seg of path) text = text !== null && typeof text === 'object' ? (text as Record<string, unknown>)[seg] : undefined;
  const line = lines[at.line - 1];
  if (typeof text !== 'string' || line === undefined || offset > text.length + 1) return at;
  const start = at.column - 1 + (line[at.column - 1] === '"' || line[at.column - 1] === "'" ? 1 : 0);
  return line.startsWith(text, start) ? { line: at.line, column: start + offset } : at;
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
