import { createInterface } from 'node:readline/promises';
import { adminCall, adminError } from './admin-client.js';
import { formatPlan, planConfig, planIsEmpty, type ConfigPlan } from './config-plan.js';
import { makePlan } from './plan.js';
import type { RunningConfig } from '../runtime/running-config.js';
import { loadConfig } from '../config/index.js';

/**
 * `interlace apply --config DIR [--yes]`: the plan of `interlace plan`, applied through the admin
 * API. Changed channels are reloaded one by one (`POST /api/channels/:name/reload`, validated by
 * the engine again, audited as `channel.reload`). Nothing is applied when any part of the plan
 * needs a restart (a channel added, removed or not running, engine.yaml, partners, a table added or
 * removed), or when the engine's own file of a changed channel does not hold the planned text (a
 * reload applies the engine's file). Exit 0 when applied (or nothing to apply), 1 otherwise.
 */
export async function applyCommand(values: Record<string, unknown>): Promise<number> {
  const fail = (sentence: string) => {
    console.error(`interlace apply: ${sentence}`);
    return 1;
  };
  const made = await makePlan(values);
  if ('problem' in made) return fail(made.problem);
  const { plan, target } = made;
  console.log(formatPlan(plan));
  if (planIsEmpty(plan)) return 0;
  if (plan.restart.length > 0)
    return fail(`nothing applied: this plan needs a restart of the engine (${plan.restart.join('; ')}); apply the files and restart it`);
  const elsewhere = plan.channels.changed.filter((c) => !c.engineFileMatches);
  if (elsewhere.length > 0)
    return fail(
      `nothing applied: the engine reloads a channel from its own config directory, and its ${elsewhere.map((c) => c.file).join(', ')} ` +
        `does not hold the planned version; copy the files there first (or plan against that directory)`,
    );
  if (!values.yes) {
    if (!process.stdin.isTTY) return fail('nothing applied: pass --yes to apply without a question (standard input is not a terminal)');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('\nApply these changes to the running engine? Only "yes" is accepted: ');
    rl.close();
    if (answer.trim() !== 'yes') return fail('nothing applied');
  }
  let applied = 0;
  for (const c of plan.channels.changed) {
    const { status, body } = await adminCall(target, 'POST', `/api/channels/${c.name}/reload`);
    if (status !== 200)
      return fail(
        `channel ${c.name} was not reloaded: ${adminError(status, body)}` +
          (applied > 0 ? `\n${applied} channel${applied === 1 ? ' was' : 's were'} reloaded before it and run the new version` : ''),
      );
    applied++;
    console.log(`channel ${c.name}: ${(body as { detail?: string }).detail ?? 'reloaded'}`);
  }
  const left = await remaining(values, target);
  if (left && !planIsEmpty(left)) {
    const tables = left.tables.changed.map((t) => t.name);
    if (tables.length > 0 && left.channels.changed.length === 0)
      console.log(
        `table ${tables.join(', ')}: not taken by the engine yet; it reads a table again when the file in its own tables/ folder changes (within seconds)`,
      );
    else return fail(`applied, but the engine still differs from the directory:\n${formatPlan(left)}`);
  }
  console.log(`Applied: ${applied} channel${applied === 1 ? '' : 's'} reloaded.`);
  return 0;
}

/** The plan once more, after applying: what the engine still runs differently. */
async function remaining(values: Record<string, unknown>, target: Parameters<typeof adminCall>[0]): Promise<ConfigPlan | undefined> {
  const { status, body } = await adminCall(target, 'GET', '/api/config');
  if (status !== 200) return undefined;
  const { config } = await loadConfig(values.config as string, { env: process.env });
  return planConfig(body as RunningConfig, config);
}
