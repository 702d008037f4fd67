import type { ReconException } from '../store/types.js';

const HEADER = ['day', 'facility', 'supplier', 'rule', 'owner_role', 'open', 'acknowledged', 'resolved', 'total'];

/** A CSV field: quoted when it holds a comma, a quote or a line break; a leading =, +, - or @ is neutralised for spreadsheets. */
function field(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The daily report: reconciliation exceptions counted by business day, facility, supplier and rule,
 * with their owner role and how many are open, acknowledged and resolved. One header line, then one
 * line per group, sorted; empty facility or supplier when the rule has none (a charge has no supplier).
 */
export function reportCsv(exceptions: readonly ReconException[]): string {
  const groups = new Map<string, { key: string[]; open: number; acknowledged: number; resolved: number }>();
  for (const e of exceptions) {
    const key = [e.businessDate.slice(0, 10), e.facility ?? '', e.partner ?? '', e.rule, e.ownerRole];
    const id = key.join('\u0000');
    const g = groups.get(id) ?? { key, open: 0, acknowledged: 0, resolved: 0 };
    g[e.state]++;
    groups.set(id, g);
  }
  const lines = [...groups.values()]
    .sort((a, b) => a.key.join('\u0000').localeCompare(b.key.join('\u0000')))
    .map((g) => [...g.key, g.open, g.acknowledged, g.resolved, g.open + g.acknowledged + g.resolved].map(field).join(','));
  return [HEADER.join(','), ...lines].join('\r\n') + '\r\n';
}
