import { existsSync, readdirSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { basename, join, relative } from 'node:path';
import { buildChannelSchema, type ChannelConfig, type ConfigRegistry } from './channel-schema.js';
import {
  duplicateAcrossFiles,
  duplicateRouteNames,
  portConflicts,
  sourceListener,
  unknownOwnIdentity,
  unknownPartners,
  unknownAlertSubjects,
  unknownTables,
  type CheckedFile,
  type Listener,
} from './cross-checks.js';
import { configDiagnostic, hasErrors, sortDiagnostics, type ConfigDiagnostic } from './diagnostics.js';
import { parseStoreLocation } from '../store/location.js';
import { engineSchema, type EngineConfig } from './engine-schema.js';
import type { Env } from './interpolate.js';
import { partnerSchema, type PartnerConfig } from './partner-schema.js';
import { loadTable, type LoadedTable } from './tables.js';
import { validateFile } from './validate.js';
import { inlineSecrets } from '../../lib/secrets.js';
import { readYamlFile } from './yaml-file.js';
import { X12Identities } from '../x12/identities.js';
import { checkKeyFiles, type CertificateExpiry } from './key-files.js';

/** Everything a config directory holds, validated. Broken channels and partners are left out. */
export type LoadedConfig = {
  dir: string;
  /** undefined when engine.yaml is missing or invalid: the engine must not start. */
  engine: EngineConfig | undefined;
  /** Each file's `source` is its text as written (`${VAR}` not resolved): what `interlace plan` compares. */
  channels: Array<{ file: string; name: string; config: ChannelConfig; source?: string }>;
  partners: Array<{ file: string; id: string; config: PartnerConfig; source?: string }>;
  /** engine.yaml as written. */
  engineSource?: string;
  tables: LoadedTable[];
  /** Certificates the loaded channels and partners reference, with their expiry (engine/config/key-files.ts). */
  certificates?: CertificateExpiry[];
};

export type LoadOptions = {
  /** Variables for `${VAR}` interpolation; default `process.env`. */
  env?: Env;
  /** Source, destination and transform registries; default the ones of this build. */
  registry?: ConfigRegistry;
};

export type LoadResult = { config: LoadedConfig; diagnostics: ConfigDiagnostic[] };

/**
 * Loads and validates a config directory (`engine.yaml`, `channels/*.yaml`, `partners/*.yaml`,
 * `tables/*.csv`; `*.test.yaml` files are test cases and skipped). Never throws for bad input:
 * every problem of every file is reported at once, sorted by file and position. A channel or
 * partner file with an error is refused (absent from the result) while the others load; a broken
 * engine.yaml leaves `config.engine` undefined.
 */
export async function loadConfig(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const env = options.env ?? process.env;
  const registry = options.registry ?? (await import('./registry.js')).defaultRegistry;
  const diagnostics: ConfigDiagnostic[] = [];
  const config: LoadedConfig = { dir, engine: undefined, channels: [], partners: [], tables: [] };
  if (!isDirectory(dir)) {
    diagnostics.push(
      configDiagnostic(dir, { line: 1, column: 1 }, 'read-failed', 'the config directory does not exist or is not a directory'),
    );
    return { config, diagnostics };
  }
  config.engine = loadEngine(dir, env, diagnostics, config);
  const tableFiles = listFiles(join(dir, 'tables'), (n) => /\.csv$/i.test(n));
  for (const file of tableFiles) {
    const { table, diagnostics: found } = await loadTable(file);
    diagnostics.push(...found);
    if (table && !hasErrors(found)) config.tables.push(table);
  }
  const tableNames = new Set(tableFiles.map((f) => basename(f).replace(/\.csv$/i, '')));
  const channels = loadChannels(dir, env, registry, tableNames, diagnostics);
  const partners = loadPartners(dir, env, diagnostics);
  const rel = (file: string) => relative(dir, file).split('\\').join('/');
  diagnostics.push(
    ...duplicateAcrossFiles(
      channels.map((c) => c.checked),
      'name',
      'duplicate-channel-name',
      'channel name',
      rel,
    ),
  );
  diagnostics.push(
    ...duplicateAcrossFiles(
      partners.map((p) => p.checked),
      'id',
      'duplicate-partner-id',
      'partner id',
      rel,
    ),
  );
  diagnostics.push(...portConflicts(listeners(config.engine, channels, dir), rel));
  const partnerIds = new Set(
    partners.map((p) => (p.checked.yaml.data as { id?: unknown } | undefined)?.id).filter((id): id is string => typeof id === 'string'),
  );
  for (const c of channels) diagnostics.push(...unknownPartners(c.checked, partnerIds));
  const engineFile = ['engine.yaml', 'engine.yml'].map((n) => join(dir, n)).find((f) => existsSync(f));
  if (config.engine?.alerts && engineFile) {
    const channelNames = new Set(
      channels.map((c) => (c.checked.yaml.data as { name?: unknown } | undefined)?.name).filter((n): n is string => typeof n === 'string'),
    );
    diagnostics.push(...unknownAlertSubjects({ file: engineFile, yaml: readYamlFile(engineFile, env) }, channelNames, partnerIds));
  }
  if (config.engine) {
    const identities = new X12Identities(config.engine.x12).all;
    for (const p of partners) diagnostics.push(...unknownOwnIdentity(p.checked, identities));
  }
  config.certificates = [];
  for (const f of [...channels.map((c) => c.checked), ...partners.map((p) => p.checked)]) {
    const keys = checkKeyFiles(f, rel(f.file));
    diagnostics.push(...keys.diagnostics);
    config.certificates.push(...keys.certificates);
  }
  for (const c of channels) {
    if (c.config && !hasErrors(diagnostics, c.checked.file))
      config.channels.push({ file: c.checked.file, name: c.config.name, config: c.config, source: c.checked.yaml.source });
  }
  for (const p of partners) {
    if (p.config && !hasErrors(diagnostics, p.checked.file))
      config.partners.push({ file: p.checked.file, id: p.config.id, config: p.config, source: p.checked.yaml.source });
  }
  return { config, diagnostics: sortDiagnostics(diagnostics) };
}

/** Validates a config directory without keeping the result: what `interlace validate` prints. */
export async function validateConfigDir(dir: string, env: Env = process.env, registry?: ConfigRegistry): Promise<ConfigDiagnostic[]> {
  return (await loadConfig(dir, { env, registry })).diagnostics;
}

function loadEngine(dir: string, env: Env, diagnostics: ConfigDiagnostic[], config: LoadedConfig): EngineConfig | undefined {
  const file = ['engine.yaml', 'engine.yml'].map((n) => join(dir, n)).find((f) => existsSync(f));
  if (!file) {
    diagnostics.push(
      configDiagnostic(
        join(dir, 'engine.yaml'),
        { line: 1, column: 1 },
        'missing-engine-config',
        'the config directory has no engine.yaml; expected at least `engine: { id: … }`',
      ),
    );
    return undefined;
  }
  const yaml = readYamlFile(file, env);
  if (yaml.source !== undefined) config.engineSource = yaml.source;
  diagnostics.push(...yaml.diagnostics);
  if (yaml.data === undefined) return undefined;
  const { value, diagnostics: found } = validateFile(engineSchema, yaml, 'engine.yaml');
  diagnostics.push(...withoutEchoes(found, yaml.diagnostics));
  if (!value || hasErrors(yaml.diagnostics)) return undefined;
  const dataDir = value.engine.dataDir ?? (env.INTERLACE_DATA || './var');
  const store = resolveStore(value.store, dataDir, env);
  if ('error' in store) {
    diagnostics.push(configDiagnostic(file, { line: 1, column: 1 }, 'invalid-format', store.error));
    return undefined;
  }
  return { ...value, engine: { ...value.engine, dataDir }, store };
}

/**
 * Where the store is: `store.url`, else `store.path` (SQLite), else `$INTERLACE_STORE`, else
 * `messages.db` in the data directory. A `store.type` that disagrees with the location is an error.
 */
function resolveStore(store: z.output<typeof engineSchema>['store'], dataDir: string, env: Env): EngineConfig['store'] | { error: string } {
  const spec = store.url || (store.path ? `sqlite:${store.path}` : '') || env.INTERLACE_STORE || 'sqlite:';
  const from = store.url ? 'store.url' : store.path ? 'store.path' : env.INTERLACE_STORE ? 'INTERLACE_STORE' : 'the default';
  const location = parseStoreLocation(spec, dataDir);
  if ('error' in location) return { error: `${from}: ${location.error}` };
  if (store.type && store.type !== location.kind)
    return { error: `store.type is ${store.type} but ${from} is a ${location.kind} location; remove store.type or make them agree` };
  return location.kind === 'sqlite'
    ? { ...store, type: 'sqlite', path: location.path, url: `sqlite:${location.path}` }
    : { ...store, type: 'postgres', url: location.url };
}

type Loaded<T> = { checked: CheckedFile; config?: T };

function loadChannels(
  dir: string,
  env: Env,
  registry: ConfigRegistry,
  tables: ReadonlySet<string>,
  diagnostics: ConfigDiagnostic[],
): Loaded<ChannelConfig>[] {
  const schema = buildChannelSchema(registry);
  return listFiles(join(dir, 'channels'), (n) => /\.ya?ml$/i.test(n) && !/\.test\.ya?ml$/i.test(n)).map((file) => {
    const yaml = readYamlFile(file, env);
    diagnostics.push(...yaml.diagnostics);
    const checked = { file, yaml };
    if (yaml.data === undefined) return { checked };
    diagnostics.push(...duplicateRouteNames(checked), ...unknownTables(checked, tables), ...secretsWrittenInline(checked));
    const { value, diagnostics: found } = validateFile(schema, yaml, 'the channel');
    diagnostics.push(...withoutEchoes(found, yaml.diagnostics));
    return { checked, config: value as ChannelConfig | undefined };
  });
}

function loadPartners(dir: string, env: Env, diagnostics: ConfigDiagnostic[]): Loaded<PartnerConfig>[] {
  return listFiles(join(dir, 'partners'), (n) => /\.ya?ml$/i.test(n)).map((file) => {
    const yaml = readYamlFile(file, env);
    diagnostics.push(...yaml.diagnostics);
    const checked = { file, yaml };
    if (yaml.data === undefined) return { checked };
    diagnostics.push(...secretsWrittenInline(checked));
    const { value, diagnostics: found } = validateFile(partnerSchema, yaml, 'the partner');
    diagnostics.push(...withoutEchoes(found, yaml.diagnostics));
    return { checked, config: value };
  });
}

/** Values under a secret key (`password`…) must come from `${ENV}`; one written literally is refused (lib/secrets.ts). */
function secretsWrittenInline({ file, yaml }: CheckedFile): ConfigDiagnostic[] {
  return inlineSecrets(yaml.data)
    .filter((path) => yaml.template(path) === undefined)
    .map((path) =>
      configDiagnostic(
        file,
        yaml.position(path),
        'secret-inline',
        `${path.join('.')} is written in the file; give it as \${ENV} (e.g. \${SFTP_PASSWORD}) so the secret stays out of configuration`,
      ),
    );
}

function listeners(engine: EngineConfig | undefined, channels: Loaded<ChannelConfig>[], dir: string): Listener[] {
  const out: Listener[] = [];
  for (const c of channels) {
    if (!c.config || !c.config.enabled) continue;
    const l = sourceListener(c.checked.file, c.config.name, c.config.source, c.checked.yaml);
    if (l) out.push(l);
    c.config.inputs.forEach((input, i) => {
      const more = sourceListener(c.checked.file, c.config!.name, input.source, c.checked.yaml, ['inputs', i, 'source']);
      if (more) out.push(more);
    });
  }
  if (engine?.admin && out.length) {
    const { host, port } = engine.admin;
    out.push({ file: join(dir, 'engine.yaml'), label: 'the admin API', host, port, position: { line: 1, column: 1 }, report: false });
  }
  return out;
}

/**
 * A value whose interpolation failed (`env-unset`) is then usually invalid too (an empty URL);
 * that second finding at the same position says nothing new and is dropped.
 */
function withoutEchoes(found: ConfigDiagnostic[], fileProblems: ConfigDiagnostic[]): ConfigDiagnostic[] {
  const failed = new Set(fileProblems.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.column}`));
  return found.filter((d) => !failed.has(`${d.line}:${d.column}`));
}

/** Files of a sub-directory matching `accept`, sorted by name; hidden files skipped; none when absent. */
function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  if (!isDirectory(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && accept(n))
    .sort()
    .map((n) => join(dir, n))
    .filter((f) => statSync(f).isFile());
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
