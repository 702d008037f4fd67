import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { loadTable, type LoadedConfig } from '../config/index.js';

/**
 * The configuration a running engine is using, as its files were written (`${VAR}` shown, never
 * resolved): what `GET /api/config` answers and `interlace plan` compares a directory with.
 *
 * - channels: the text of the version running now (updated by each hot reload), its state, and
 *   `fileText` when the file in the engine's config directory says something else (what a reload
 *   would apply; `null` when the file is gone);
 * - partners and engine.yaml: the text read at start (they change only with a restart);
 * - tables: the rows the engine reads now (tables are read again when their file changes).
 */
export type RunningConfig = {
  engine: { file: string; text: string | null };
  channels: Array<{ name: string; file: string; state: string; text: string | null; fileText?: string | null }>;
  partners: Array<{ id: string; file: string; text: string | null }>;
  tables: Array<{ name: string; file: string; columns: string[]; rows: Array<Record<string, string>> }>;
};

export async function runningConfig(config: LoadedConfig, stateOf: (channel: string) => string): Promise<RunningConfig> {
  const rel = (file: string) => relative(config.dir, file).split(sep).join('/');
  const tables: RunningConfig['tables'] = [];
  for (const t of config.tables) {
    const { table } = await loadTable(t.file);
    const now = table ?? t;
    tables.push({ name: t.name, file: rel(t.file), columns: now.columns, rows: now.rows });
  }
  return {
    engine: { file: 'engine.yaml', text: config.engineSource ?? null },
    channels: config.channels.map((ch) => {
      const onDisk = readText(ch.file);
      return {
        name: ch.name,
        file: rel(ch.file),
        state: stateOf(ch.name),
        text: ch.source ?? null,
        ...(onDisk !== ch.source ? { fileText: onDisk } : {}),
      };
    }),
    partners: config.partners.map((p) => ({ id: p.id, file: rel(p.file), text: p.source ?? null })),
    tables,
  };
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
