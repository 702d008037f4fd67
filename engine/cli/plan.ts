import { existsSync, statSync } from 'node:fs';
import { formatDiagnostic, loadConfig } from '../config/index.js';
import { checkConfigDir } from '../runtime/check.js';
import type { RunningConfig } from '../runtime/running-config.js';
import { adminCall, adminError, adminTarget, type AdminTarget } from './admin-client.js';
import { formatPlan, planConfig, planIsEmpty, type ConfigPlan } from './config-plan.js';

/**
 * The plan of a directory against the running engine, or the sentences to print (exit 1): the
 * directory is validated first as `interlace validate` does, then compared with `GET /api/config`.
 */
export async function makePlan(
  values: Record<string, unknown>,
): Promise<{ target: AdminTarget; plan: ConfigPlan; running: RunningConfig } | { problem: string }> {
  const dir = values.config as string;
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    return { problem: `${dir} is not a directory; expected a config directory (--config DIR)` };
  const target = adminTarget(values);
  if (typeof target === 'string') return { problem: target };
  const diagnostics = (await checkConfigDir(dir, process.env)).filter((d) => d.severity === 'error');
  if (diagnostics.length > 0)
    return {
      problem: [
        `${dir} is not a valid configuration (${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}); nothing was compared`,
        ...diagnostics.map((d) => formatDiagnostic(d)),
      ].join('\n'),
    };
  const { config } = await loadConfig(dir, { env: process.env });
  const { status, body } = await adminCall(target, 'GET', '/api/config');
  if (status !== 200) return { problem: `the engine did not give its configuration: ${adminError(status, body)}` };
  const running = body as RunningConfig;
  return { target, plan: planConfig(running, config), running };
}

/**
 * `interlace plan --config DIR`: what would change if DIR replaced the running engine's
 * configuration. Exit 0 when nothing would, 2 when something would, 1 when it could not tell.
 */
export async function planCommand(values: Record<string, unknown>): Promise<number> {
  const made = await makePlan(values);
  if ('problem' in made) {
    console.error(`interlace plan: ${made.problem}`);
    return 1;
  }
  if (values.json) console.log(JSON.stringify(made.plan, null, 2));
  else console.log(formatPlan(made.plan));
  return planIsEmpty(made.plan) ? 0 : 2;
}
