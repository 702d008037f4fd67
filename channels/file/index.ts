import type { SourceContext, SourceDefinition } from '../types.js';
import { fileSourceSchema, type FileSourceConfig } from './config.js';
import { FileSource, type FileSourceHooks } from './source.js';

export { fileSourceSchema, type FileSourceConfig } from './config.js';
export { FileSource, type FileSourceHooks } from './source.js';
export { globMatcher, globToRegExp, globProblem } from './glob.js';
export { splitInterchanges, type FileUnit } from '../../parsers/x12/split.js';

/** Creates the file source with hooks the YAML cannot carry (tests: an answer builder, a crash before archiving). */
export function createFileSource(config: FileSourceConfig, ctx: SourceContext, hooks: FileSourceHooks = {}): FileSource {
  return new FileSource(config, ctx, hooks);
}

/**
 * The drop-directory source. Each file (or X12 interchange) is stored before the file is moved to the
 * archive; a file is never archived before everything in it is stored, and a crash between storing
 * and archiving does not store it twice (journal in the archive directory).
 */
export const file: SourceDefinition<FileSourceConfig> = {
  type: 'file',
  schema: fileSourceSchema,
  create: (config, ctx) => createFileSource(config, ctx),
  carriesX12: (config) => config.split === 'x12-interchange',
  runsOn: 'one-process',
};
