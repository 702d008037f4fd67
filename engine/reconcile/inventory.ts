import type { StoredBusinessDocument } from '../store/types.js';
import { accepted, dayOf, timeOf, type Findings, type ReconcileContext } from './context.js';

type UsageData = {
  eventId: string;
  postsInventory?: boolean;
  lines: Array<{ line: number; itemNumber: string; serial?: string }>;
};

type PostingData = { eventId: string; lines: Array<{ line: number; itemNumber?: string }> };

/**
 * Usage to inventory: every usage line of a channel that posts usage to the ERP (a route with
 * `sends: inventory-posting`) is posted exactly once. No posting accepted by the ERP past the
 * facility's deadline is `inventory-missing`; two accepted postings of one line (the same case
 * received twice, a replay under a new message), or one serialized implant posted under two usage
 * events, is `inventory-duplicate`: the ERP depleted the stock twice.
 */
export function reconcileInventory(
  usages: readonly StoredBusinessDocument[],
  postings: readonly StoredBusinessDocument[],
  ctx: ReconcileContext,
  out: Findings,
): void {
  const byUsage = new Map<string, StoredBusinessDocument[]>();
  for (const p of postings) {
    const list = byUsage.get(p.key);
    if (list) list.push(p);
    else byUsage.set(p.key, [p]);
  }
  const seen = new Set<string>();
  const implants = new Map<string, string>();
  for (const u of usages) {
    if (seen.has(u.key)) continue;
    seen.add(u.key);
    const data = u.data as UsageData;
    const mine = byUsage.get(u.key) ?? [];
    if (!data.postsInventory && mine.length === 0) continue;
    const due = timeOf(u) + ctx.inventoryDeadlineMs(u.facility);
    const base = { ...(u.facility ? { facility: u.facility } : {}), businessDate: dayOf(u), docKind: 'usage' as const, docKey: u.key };
    for (const line of data.lines) {
      const covering = mine.filter((p) => (p.data as PostingData).lines.some((l) => l.line === line.line));
      const good = covering.filter(accepted);
      if (good.length === 0) {
        if (ctx.asOf <= due) continue;
        const sent = covering.length === 0 ? 'was never sent' : `was sent ${covering.length} time(s), never accepted`;
        out.add({
          ...base,
          rule: 'inventory-missing',
          line: String(line.line),
          field: 'inventory-posting',
          expected: '1',
          actual: '0',
          detail: `usage ${u.key} line ${line.line} (item ${line.itemNumber}) has no posting accepted by the ERP past the deadline: it ${sent}`,
        });
        continue;
      }
      if (good.length > 1)
        out.add({
          ...base,
          rule: 'inventory-duplicate',
          line: String(line.line),
          field: 'inventory-posting',
          expected: '1',
          actual: String(good.length),
          detail: `usage ${u.key} line ${line.line} (item ${line.itemNumber}) was posted to the ERP ${good.length} times, by messages ${[...new Set(good.map((p) => p.messageId))].join(', ')}`,
        });
      if (!line.serial) continue;
      const id = `${line.itemNumber}|${line.serial}`;
      const first = implants.get(id);
      if (first === undefined) implants.set(id, u.key);
      else if (first !== u.key)
        out.add({
          ...base,
          rule: 'inventory-duplicate',
          line: String(line.line),
          field: 'serial',
          expected: first,
          actual: u.key,
          detail: `usage ${u.key} line ${line.line} posts implant ${line.itemNumber} serial ${line.serial} to the ERP again; usage ${first} posted it`,
        });
    }
  }
}
