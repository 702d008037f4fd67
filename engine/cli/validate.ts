import { formatDiagnostic, validateConfigDir } from '../config/index.js';

export async function validateCommand(dir: string): Promise<number> {
  const diagnostics = await validateConfigDir(dir, process.env);
  for (const d of diagnostics) (d.severity === 'error' ? console.error : console.warn)(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors === 0) console.log(`${dir}: configuration is valid${diagnostics.length ? ` (${diagnostics.length} warnings)` : ''}`);
  return errors === 0 ? 0 : 1;
}
