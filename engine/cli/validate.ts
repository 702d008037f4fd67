import { formatDiagnostic } from '../config/index.js';
import { checkConfigDir } from '../runtime/check.js';

/** `interlace validate`: every problem `start` would meet, as `file:line:column code: message`. */
export async function validateCommand(dir: string): Promise<number> {
  const diagnostics = await checkConfigDir(dir, process.env);
  for (const d of diagnostics) (d.severity === 'error' ? console.error : console.warn)(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors === 0) console.log(`${dir}: configuration is valid${diagnostics.length ? ` (${diagnostics.length} warnings)` : ''}`);
  return errors === 0 ? 0 : 1;
}
