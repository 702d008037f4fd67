import { ERROR_CODES, type ErrorCode } from '../../lib/error-codes.js';

/** A code documented on docs/config.md: what the config loader reports. */
export type ConfigCode = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]['page'] extends 'config.md' ? K : never;
}[ErrorCode];

/**
 * The config loader's codes with their meaning, in registry order: the slice of the one registry
 * (lib/error-codes.ts) whose page is docs/config.md. The generated `docs/config.md` lists this table.
 */
export const CONFIG_CODES = Object.fromEntries(
  Object.entries(ERROR_CODES)
    .filter(([, e]) => e.page === 'config.md')
    .map(([code, e]) => [code, e.meaning]),
) as Record<ConfigCode, string>;
