import type { SourceDefinition } from '../types.js';
import { sftpSourceSchema, type SftpSourceConfig } from './config.js';
import { SftpSource } from './source.js';

export { sftpSourceSchema, type SftpSourceConfig } from './config.js';
export { SftpSource } from './source.js';

/**
 * The SFTP poller source: complete files of a remote folder are stored (unit by unit), answered when
 * the channel parses X12, then moved to the remote archive or deleted. One engine process polls a
 * folder at a time (Redis lease).
 */
export const sftp: SourceDefinition<SftpSourceConfig> = {
  type: 'sftp',
  schema: sftpSourceSchema,
  create: (config, ctx) => new SftpSource(config, ctx),
  carriesX12: (config) => config.split === 'x12-interchange',
};
