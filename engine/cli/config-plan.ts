import { parse as parseYaml } from 'yaml';
import { SECRET_KEYS } from '../../lib/secrets.js';
import { diffValues, formatChange, type ValueChange } from '../../lib/value-diff.js';
import type { LoadedConfig } from '../config/index.js';
import type { RunningConfig } from '../runtime/running-config.js';
import { relative, sep } from 'node:path';

/** A channel, partner or table of the running engine or of the directory, named as its file says. */
type Named = { name: string; file: string };

/** What changes when a directory replaces the running configuration (`interlace plan`, `apply`). */
export type ConfigPlan = {
  channels: {
    added: Named[];
    removed: Named[];
    /** `reload`: the file the engine would read for this channel (its `fileText`) holds the proposed text. */
    changed: Array<Named & { changes: ValueChange[]; restart?: string; engineFileMatches: boolean }>;
  };
  partners: { added: Named[]; removed: Named[]; changed: Array<Named & { changes: ValueChange[] }> };
  tables: {
    added: Named[];
    removed: Named[];
    changed: Array<
      Named & { rowsAdded: number; rowsRemoved: number; rowsChanged: number; columns?: { before: string[]; after: string[] } }
    >;
  };
  engine: { file: string; changes: ValueChange[] } | undefined;
  /** Why this plan cannot be applied live (each needs a restart); empty when `apply` can apply it all. */
  restart: string[];
};

/** What a secret written inline is shown as (never its value). */
const HIDDEN = '(secret written inline, not shown)';
/** Keys whose value is never shown: the secret keys of channel and partner files, and engine.yaml's admin token. */
const HIDDEN_KEYS = new Set([...SECRET_KEYS, 'token']);

/**
 * Compares the running configuration with a loaded directory. YAML files are compared as written,
 * field by field (lib/value-diff.ts): a `${VAR}` is compared and shown as `${VAR}`, never resolved,
 * and a value under a secret key not written as `${VAR}` is never shown. Tables are compared by key
 * (their first column).
 */
export function planConfig(running: RunningConfig, proposed: LoadedConfig): ConfigPlan {
  const rel = (file: string) => relative(proposed.dir, file).split(sep).join('/');
  const restart: string[] = [];
  const plan: ConfigPlan = {
    channels: { added: [], removed: [], changed: [] },
    partners: { added: [], removed: [], changed: [] },
    tables: { added: [], removed: [], changed: [] },
    engine: undefined,
    restart,
  };

  const runningChannels = new Map(running.channels.map((c) => [c.name, c]));
  for (const ch of proposed.channels) {
    const now = runningChannels.get(ch.name);
    const named = { name: ch.name, file: rel(ch.file) };
    if (!now) {
      plan.channels.added.push(named);
      restart.push(`channel ${ch.name} is added (${named.file})`);
      continue;
    }
    const changes = diffYaml(now.text, ch.source ?? null);
    if (changes.length === 0) continue;
    const onDisk = now.fileText === undefined ? now.text : now.fileText;
    const entry: ConfigPlan['channels']['changed'][number] = { ...named, changes, engineFileMatches: onDisk === ch.source };
    if (now.state === 'not running') entry.restart = `channel ${ch.name} is not running (refused at start or disabled)`;
    else if (changes.some((c) => c.path === 'enabled' || c.path === 'name'))
      entry.restart = `channel ${ch.name} is ${ch.config.enabled ? 'enabled' : 'disabled'} or renamed`;
    else if (named.file !== now.file) entry.restart = `channel ${ch.name} moved from ${now.file} to ${named.file}`;
    if (entry.restart) restart.push(entry.restart);
    plan.channels.changed.push(entry);
  }
  const proposedChannels = new Set(proposed.channels.map((c) => c.name));
  for (const c of running.channels)
    if (!proposedChannels.has(c.name)) {
      plan.channels.removed.push({ name: c.name, file: c.file });
      restart.push(`channel ${c.name} is removed`);
    }

  const runningPartners = new Map(running.partners.map((p) => [p.id, p]));
  for (const p of proposed.partners) {
    const now = runningPartners.get(p.id);
    const named = { name: p.id, file: rel(p.file) };
    if (!now) plan.partners.added.push(named);
    else {
      const changes = diffYaml(now.text, p.source ?? null);
      if (changes.length > 0) plan.partners.changed.push({ ...named, changes });
    }
  }
  const proposedPartners = new Set(proposed.partners.map((p) => p.id));
  for (const p of running.partners) if (!proposedPartners.has(p.id)) plan.partners.removed.push({ name: p.id, file: p.file });
  const partnerCount = plan.partners.added.length + plan.partners.removed.length + plan.partners.changed.length;
  if (partnerCount > 0) restart.push(`${partnerCount} partner file${partnerCount === 1 ? '' : 's'} changed (partners are read at start)`);

  const runningTables = new Map(running.tables.map((t) => [t.name, t]));
  for (const t of proposed.tables) {
    const now = runningTables.get(t.name);
    const named = { name: t.name, file: rel(t.file) };
    if (!now) {
      plan.tables.added.push(named);
      continue;
    }
    const rows = diffRows(now, t);
    if (rows) plan.tables.changed.push({ ...named, ...rows });
  }
  const proposedTables = new Set(proposed.tables.map((t) => t.name));
  for (const t of running.tables) if (!proposedTables.has(t.name)) plan.tables.removed.push({ name: t.name, file: t.file });
  if (plan.tables.added.length + plan.tables.removed.length > 0) restart.push('a lookup table is added or removed');

  const engineChanges = diffYaml(running.engine.text, proposed.engineSource ?? null);
  if (engineChanges.length > 0) {
    plan.engine = { file: 'engine.yaml', changes: engineChanges };
    restart.push('engine.yaml changed (it is read at start)');
  }
  return plan;
}

/** True when the plan changes nothing. */
export function planIsEmpty(p: ConfigPlan): boolean {
  const none = (g: { added: unknown[]; removed: unknown[]; changed: unknown[] }) =>
    g.added.length + g.removed.length + g.changed.length === 0;
  return none(p.channels) && none(p.partners) && none(p.tables) && !p.engine;
}

/** The plan as a person reads it, like `terraform plan`: one block per file, then a summary line. */
export function formatPlan(p: ConfigPlan): string {
  if (planIsEmpty(p)) return 'No changes: the running configuration matches the directory.';
  const out: string[] = [];
  const restartNote = ' (needs a restart)';
  for (const c of p.channels.added) out.push(`+ channel ${c.name} (${c.file})${restartNote}`);
  for (const c of p.channels.removed) out.push(`- channel ${c.name} (${c.file})${restartNote}`);
  for (const c of p.channels.changed) {
    out.push(`~ channel ${c.name} (${c.file})${c.restart ? restartNote : ''}`);
    for (const change of c.changes) out.push(`    ${formatChange(change)}`);
  }
  for (const t of p.tables.added) out.push(`+ table ${t.name} (${t.file})${restartNote}`);
  for (const t of p.tables.removed) out.push(`- table ${t.name} (${t.file})${restartNote}`);
  for (const t of p.tables.changed) {
    out.push(`~ table ${t.name} (${t.file}): ${t.rowsAdded} rows added, ${t.rowsRemoved} removed, ${t.rowsChanged} changed`);
    if (t.columns) out.push(`    ~ columns: ${t.columns.before.join(',')} → ${t.columns.after.join(',')}`);
  }
  for (const x of p.partners.added) out.push(`+ partner ${x.name} (${x.file})${restartNote}`);
  for (const x of p.partners.removed) out.push(`- partner ${x.name} (${x.file})${restartNote}`);
  for (const x of p.partners.changed) {
    out.push(`~ partner ${x.name} (${x.file})${restartNote}`);
    for (const change of x.changes) out.push(`    ${formatChange(change)}`);
  }
  if (p.engine) {
    out.push(`~ ${p.engine.file}${restartNote}`);
    for (const change of p.engine.changes) out.push(`    ${formatChange(change)}`);
  }
  const c = p.channels;
  out.push(
    '',
    `Plan: ${c.added.length} channels to add, ${c.changed.length} to change, ${c.removed.length} to remove; ` +
      `${p.tables.added.length + p.tables.removed.length + p.tables.changed.length} tables, ` +
      `${p.partners.added.length + p.partners.removed.length + p.partners.changed.length} partners` +
      `${p.engine ? ' and engine.yaml' : ''} changed.`,
  );
  if (p.restart.length > 0) out.push(`A restart is needed to apply it all: ${p.restart.join('; ')}.`);
  return out.join('\n');
}

/** Field-by-field differences of two YAML texts as written; a file that does not parse is compared as text. */
function diffYaml(before: string | null, after: string | null): ValueChange[] {
  if (before === after) return [];
  const a = readAsWritten(before);
  const b = readAsWritten(after);
  return diffValues(a, b).map((c) => ({
    ...c,
    ...('before' in c ? { before: hide(c.before, c.path) } : {}),
    ...('after' in c ? { after: hide(c.after, c.path) } : {}),
  }));
}

function readAsWritten(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return parseYaml(text) as unknown;
  } catch {
    return text;
  }
}

/** The value with every secret written inline replaced (`${VAR}` references are shown: they are not secrets). */
function hide(value: unknown, path: string): unknown {
  const key = /([A-Za-z0-9_-]+)$/.exec(path)?.[1];
  if (key && HIDDEN_KEYS.has(key) && isInline(value)) return HIDDEN;
  if (Array.isArray(value)) return value.map((v) => hide(v, ''));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, HIDDEN_KEYS.has(k) && isInline(v) ? HIDDEN : hide(v, '')]),
    );
  return value;
}

function isInline(v: unknown): boolean {
  return (typeof v === 'string' && v !== '' && !/^\$\{[^}]+\}$/.test(v)) || typeof v === 'number';
}

type Rows = { columns: string[]; rows: Array<Record<string, string>> };

/** Rows added, removed and changed, by the table's key (its first column); undefined when equal. */
function diffRows(before: Rows, after: Rows) {
  const keyOf = (t: Rows) => t.columns[0] ?? '';
  const index = (t: Rows) => new Map(t.rows.map((r) => [r[keyOf(t)] ?? '', r]));
  const a = index(before);
  const b = index(after);
  let rowsAdded = 0;
  let rowsRemoved = 0;
  let rowsChanged = 0;
  for (const [k, row] of b) {
    const old = a.get(k);
    if (!old) rowsAdded++;
    else if (diffValues(old, row).length > 0) rowsChanged++;
  }
  for (const k of a.keys()) if (!b.has(k)) rowsRemoved++;
  const sameColumns = before.columns.join('\u0000') === after.columns.join('\u0000');
  if (rowsAdded + rowsRemoved + rowsChanged === 0 && sameColumns) return undefined;
  return { rowsAdded, rowsRemoved, rowsChanged, ...(sameColumns ? {} : { columns: { before: before.columns, after: after.columns } }) };
}
