/**
 * Configuration: loading and validating a config directory (engine.yaml, channels, partners,
 * tables) with `file:line:column` diagnostics, `${VAR}` interpolation, and the zod schemas from
 * which the editor JSON Schemas and docs/config.md are generated.
 */
export { loadConfig, validateConfigDir, type LoadedConfig, type LoadOptions, type LoadResult } from './loader.js';
export { formatDiagnostic, hasErrors, type ConfigDiagnostic, type Position } from './diagnostics.js';
export { CONFIG_CODES, type ConfigCode } from './codes.js';
export { engineSchema, type EngineConfig } from './engine-schema.js';
export { buildChannelSchema, type ChannelConfig, type ChannelSchema, type ConfigRegistry, type RouteConfig } from './channel-schema.js';
export { partnerSchema, type PartnerConfig } from './partner-schema.js';
export { interpolate, type Env } from './interpolate.js';
export { parseYamlSource, readYamlFile, type YamlFile } from './yaml-file.js';
export { loadTable, type LoadedTable } from './tables.js';
export { checkKeyFiles, keyFileRefs, EXPIRY_WARNING_DAYS, type CertificateExpiry, type KeyFileRef } from './key-files.js';
