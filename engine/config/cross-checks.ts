import { configDiagnostic, type ConfigDiagnostic } from './diagnostics.js';
import type { YamlFile } from './yaml-file.js';
import type { ErrorCode } from '../../lib/error-codes.js';

/** A file as the cross-file checks see it: its YAML (for positions) and its raw data. */
export type CheckedFile = { file: string; yaml: YamlFile };

const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * Route names that repeat within one channel. Read from the raw data, so the check runs even when
 * other fields of the channel are invalid.
 */
export function duplicateRouteNames(f: CheckedFile): ConfigDiagnostic[] {
  const routes = record(f.yaml.data)?.routes;
  if (!Array.isArray(routes)) return [];
  const first = new Map<string, number>();
  const out: ConfigDiagnostic[] = [];
  routes.forEach((r, i) => {
    const name = record(r)?.name;
    if (typeof name !== 'string') return;
    const j = first.get(name);
    if (j === undefined) first.set(name, i);
    else {
      out.push(
        configDiagnostic(
          f.file,
          f.yaml.position(['routes', i, 'name']),
          'duplicate-route-name',
          `route "${name}" is defined twice (also routes[${j}]); route names must be unique in a channel`,
        ),
      );
    }
  });
  return out;
}

/**
 * A value of `field` (a top-level string: channel `name`, partner `id`) used by more than one file.
 * Every file involved gets an error naming the others, so none of them is started by guesswork.
 */
export function duplicateAcrossFiles(
  files: readonly CheckedFile[],
  field: string,
  code: ErrorCode,
  what: string,
  rel: (file: string) => string,
): ConfigDiagnostic[] {
  const byValue = new Map<string, CheckedFile[]>();
  for (const f of files) {
    const v = record(f.yaml.data)?.[field];
    if (typeof v === 'string') byValue.set(v, [...(byValue.get(v) ?? []), f]);
  }
  const out: ConfigDiagnostic[] = [];
  for (const [value, group] of byValue) {
    if (group.length < 2) continue;
    for (const f of group) {
      const others = group
        .filter((g) => g !== f)
        .map((g) => rel(g.file))
        .join(', ');
      out.push(
        configDiagnostic(f.file, f.yaml.position([field]), code, `${what} "${value}" is also used by ${others}; ${what}s must be unique`),
      );
    }
  }
  return out;
}

/** Something that listens: a channel source or the admin API. */
export type Listener = {
  file: string;
  label: string;
  host?: string;
  port: number;
  position: { line: number; column: number };
  /** false: conflicts are reported on the other listeners only (the admin API: engine.yaml stays usable). */
  report?: boolean;
};

const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);

function overlap(a: Listener, b: Listener): boolean {
  if (a.port !== b.port || a.port === 0) return false;
  const ha = a.host ?? '127.0.0.1'; // the listeners' default
  const hb = b.host ?? '127.0.0.1';
  return WILDCARD.has(ha) || WILDCARD.has(hb) || ha === hb;
}

/** Listeners that would bind the same port (port 0 picks a free port and never conflicts). */
export function portConflicts(listeners: readonly Listener[], rel: (file: string) => string): ConfigDiagnostic[] {
  const out: ConfigDiagnostic[] = [];
  for (const l of listeners) {
    if (l.report === false) continue;
    const others = listeners.filter((o) => o !== l && overlap(l, o));
    if (!others.length) continue;
    const names = others.map((o) => `${o.label} (${rel(o.file)})`).join(', ');
    out.push(
      configDiagnostic(l.file, l.position, 'port-conflict', `port ${l.port} is also used by ${names}; each listener needs its own port`),
    );
  }
  return out;
}

/** The listening address of a validated source config, when it has a port. */
export function sourceListener(
  file: string,
  name: string,
  source: unknown,
  yaml: YamlFile,
  at: Array<string | number> = ['source'],
): Listener | undefined {
  const s = record(source);
  if (!s || typeof s.port !== 'number') return undefined;
  return {
    file,
    label:
      at.length > 1
        ? `channel ${name} (${at
            .slice(0, -1)
            .join('.')
            .replace(/\.(\d+)/g, '[$1]')})`
        : `channel ${name}`,
    host: typeof s.host === 'string' ? s.host : undefined,
    port: s.port,
    position: yaml.position([...at, 'port']),
  };
}

/**
 * `lookup` steps (channel-wide and per route) naming a table that is not in `tables/`. Read from
 * the raw data, so it is reported along with the channel's other problems.
 */
export function unknownTables(f: CheckedFile, tables: ReadonlySet<string>): ConfigDiagnostic[] {
  const data = record(f.yaml.data);
  if (!data) return [];
  const lists: Array<[Array<string | number>, unknown]> = [[['transforms'], data.transforms]];
  if (Array.isArray(data.routes)) data.routes.forEach((r, i) => lists.push([['routes', i, 'transforms'], record(r)?.transforms]));
  const out: ConfigDiagnostic[] = [];
  for (const [path, steps] of lists) {
    if (!Array.isArray(steps)) continue;
    steps.forEach((step, i) => {
      const table = record(record(step)?.lookup)?.table;
      if (typeof table !== 'string' || tables.has(table)) return;
      const known = [...tables].sort().join(', ') || 'none';
      out.push(
        configDiagnostic(
          f.file,
          f.yaml.position([...path, i, 'lookup', 'table']),
          'unknown-table',
          `lookup table "${table}" is not in tables/ (expected tables/${table}.csv); tables: ${known}`,
        ),
      );
    });
  }
  return out;
}

/**
 * Routes whose destination names a trading partner (`partner: acme-medical`) that no file in
 * `partners/` defines. Read from the raw data, so it is reported with the channel's other problems.
 */
export function unknownPartners(f: CheckedFile, partners: ReadonlySet<string>): ConfigDiagnostic[] {
  const routes = record(f.yaml.data)?.routes;
  if (!Array.isArray(routes)) return [];
  const out: ConfigDiagnostic[] = [];
  routes.forEach((r, i) => {
    const partner = record(record(r)?.destination)?.partner;
    if (typeof partner !== 'string' || partners.has(partner)) return;
    const known = [...partners].sort().join(', ') || 'none';
    out.push(
      configDiagnostic(
        f.file,
        f.yaml.position(['routes', i, 'destination', 'partner']),
        'unknown-partner',
        `partner "${partner}" is not defined in partners/ (expected a file with id: ${partner}); partners: ${known}`,
      ),
    );
  });
  return out;
}

/**
 * Alert rules of engine.yaml that name a channel or a partner the configuration does not define: such
 * a rule would never fire. Read from the raw data, with the positions of engine.yaml.
 */
export function unknownAlertSubjects(f: CheckedFile, channels: ReadonlySet<string>, partners: ReadonlySet<string>): ConfigDiagnostic[] {
  const rules = record(record(f.yaml.data)?.alerts)?.rules;
  if (!Array.isArray(rules)) return [];
  const out: ConfigDiagnostic[] = [];
  rules.forEach((r, i) => {
    const rule = record(r);
    for (const [key, known, code, what] of [
      ['channel', channels, 'unknown-channel', 'channels/'],
      ['partner', partners, 'unknown-partner', 'partners/'],
    ] as const) {
      const v = rule?.[key];
      if (typeof v !== 'string' || known.has(v)) continue;
      out.push(
        configDiagnostic(
          f.file,
          f.yaml.position(['alerts', 'rules', i, key]),
          code,
          `alert rule ${typeof rule?.name === 'string' ? rule.name : i + 1} names ${key} "${v}", which no file in ${what} defines; ${key}s: ${[...known].sort().join(', ') || 'none'}`,
        ),
      );
    }
  });
  return out;
}

/**
 * A partner file's `us:` (which of our X12 identities we send from) that engine.yaml `x12` does not
 * declare. `identities` lists ours as `qualifier/id`; undefined when engine.yaml did not load.
 */
export function unknownOwnIdentity(
  f: CheckedFile,
  identities: ReadonlyArray<{ qualifier: string; id: string }> | undefined,
): ConfigDiagnostic[] {
  const us = record(record(f.yaml.data)?.us);
  if (!us || identities === undefined) return [];
  const id = typeof us.id === 'string' || typeof us.id === 'number' ? String(us.id).trim() : undefined;
  if (id === undefined) return [];
  const qualifier = typeof us.qualifier === 'string' || typeof us.qualifier === 'number' ? String(us.qualifier) : undefined;
  if (identities.some((i) => i.id.trim() === id && (qualifier === undefined || i.qualifier === qualifier))) return [];
  const ours = identities.map((i) => `${i.qualifier}/${i.id}`).join(', ') || 'none (engine.yaml has no x12 section)';
  return [
    configDiagnostic(
      f.file,
      f.yaml.position(['us']),
      'unknown-identity',
      `us names ${qualifier ? `${qualifier}/` : ''}${id}, which is not one of our X12 identities in engine.yaml; ours: ${ours}`,
    ),
  ];
}
