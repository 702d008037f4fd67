import { loadConfig, type Env, type LoadResult } from '../config/index.js';
import { configDiagnostic, sortDiagnostics, type ConfigDiagnostic } from '../config/diagnostics.js';
import { readYamlFile } from '../config/yaml-file.js';
import type { Tables } from '../../transforms/index.js';
import { compileChannel } from './channel.js';

/** The lookup tables of a loaded config, as the transforms read them (what `start` gives them). */
export function tablesOf(config: LoadResult['config']): Tables {
  return Object.fromEntries(config.tables.map((t) => [t.name, { columns: t.columns, rows: t.rows }]));
}

/**
 * What `interlace validate` reports: everything the loader finds (YAML, schemas, cross-file checks),
 * then, for each channel that loaded, everything `start` compiles — its parse format, every
 * expression, route condition, body template and lookup — with `compileChannel`, the function
 * `start` builds its processors with. Each problem points at the YAML value it concerns.
 */
export async function checkConfigDir(dir: string, env: Env): Promise<ConfigDiagnostic[]> {
  const { config, diagnostics } = await loadConfig(dir, { env });
  const tables = tablesOf(config);
  for (const ch of config.channels) {
    const { problems } = compileChannel(ch.config, tables);
    if (problems.length === 0) continue;
    const yaml = readYamlFile(ch.file, env);
    for (const p of problems) diagnostics.push(configDiagnostic(ch.file, yaml.position(p.path), p.error.code, p.error.message));
  }
  return sortDiagnostics(diagnostics);
}
