import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The process logger. Structured JSON to stdout; fixed messages, ids in bound fields, never payloads
 * (no patient names or identifiers). Set INTERLACE_LOG_LEVEL=debug for per-message events.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'interlace',
    level: options.level ?? process.env.INTERLACE_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
  });
}

/** A logger that writes nothing, for tests and offline commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
