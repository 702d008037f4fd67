import { isAbsolute, relative } from 'node:path';
import type { Diagnostic } from '../../lib/errors.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/**
 * One finding of config validation, always with a position in a file: `line` and `column` are
 * 1-based and point into the YAML (or CSV) source the analyst edits.
 */
export type ConfigDiagnostic = Diagnostic & { file: string; line: number; column: number };

/** A position in a source file, 1-based. */
export type Position = { line: number; column: number };

/** Builds a ConfigDiagnostic; `location` mirrors file/line/column for code that reads Diagnostic only. */
export function configDiagnostic(
  file: string,
  position: Position,
  code: ErrorCode,
  message: string,
  severity: 'error' | 'warning' = 'error',
): ConfigDiagnostic {
  const { line, column } = position;
  return { severity, code, message, file, line, column, location: { file, line, column } };
}

/**
 * `config/channels/or-usage.yaml:12:9 invalid-port: 70000 is not a port (0–65535)`: the file relative
 * to the working directory, then the code and the message. Warnings say so after the position.
 */
export function formatDiagnostic(d: ConfigDiagnostic, cwd: string = process.cwd()): string {
  // Inside the working directory a relative path is shorter; outside it, the absolute path reads better than ../../..
  const r = relative(cwd, d.file);
  const rel = r && !r.startsWith('..') && !isAbsolute(r) ? r : d.file;
  const where = `${rel.split('\\').join('/')}:${d.line}:${d.column}`;
  return d.severity === 'warning' ? `${where} warning ${d.code}: ${d.message}` : `${where} ${d.code}: ${d.message}`;
}

/** True when at least one diagnostic is an error (optionally: in this file). */
export function hasErrors(diagnostics: readonly ConfigDiagnostic[], file?: string): boolean {
  return diagnostics.some((d) => d.severity === 'error' && (file === undefined || d.file === file));
}

/** Orders diagnostics by file, line and column, so a report reads top to bottom. */
export function sortDiagnostics(diagnostics: ConfigDiagnostic[]): ConfigDiagnostic[] {
  return diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column);
}
