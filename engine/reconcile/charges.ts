import type { StoredBusinessDocument } from '../store/types.js';
import { accepted, dayOf, timeOf, type Findings, type ReconcileContext } from './context.js';

type UsageData = {
  eventId: string;
  accountNumber?: string;
  lines: Array<{
    line: number;
    itemNumber: string;
    quantity: { value: string; unit?: string };
    chargeCode?: string;
    transactionId?: string;
    lot?: string;
    serial?: string;
  }>;
};

type ChargeData = { transactionId?: string; itemNumber?: string; quantity?: string; accountNumber?: string };
/** A charge as sent, and (`booked`) as the billing server answered it recorded it, when it did. */
type SentCharge = ChargeData & { booked?: ChargeData };

/** The key of the charge a usage line should produce: its FT1-2 transaction id, else `<event id>-<line>` (as the OR channel posts it). */
export function chargeKeyOf(eventId: string, line: { line: number; transactionId?: string }): string {
  return line.transactionId ?? `${eventId}-${line.line}`;
}

/**
 * Usage-to-charge completeness: every billable usage line (an item with a charge code) has exactly
 * one charge accepted by the billing server once the facility's deadline has passed. Missing,
 * duplicate (the same serialized implant charged under two usage events) and mismatched (item,
 * quantity, patient account) charges are exceptions for revenue integrity. A charge is compared as
 * the billing server booked it when its answer said so (`booked`), else as it was sent.
 */
export function reconcileCharges(
  usages: readonly StoredBusinessDocument[],
  charges: readonly StoredBusinessDocument[],
  ctx: ReconcileContext,
  out: Findings,
): void {
  const byKey = new Map<string, StoredBusinessDocument[]>();
  for (const c of charges) {
    if (!accepted(c)) continue;
    const list = byKey.get(c.key);
    if (list) list.push(c);
    else byKey.set(c.key, [c]);
  }
  const seenUsage = new Set<string>();
  const implants = new Map<string, string>();
  for (const u of usages) {
    if (seenUsage.has(u.key)) continue;
    seenUsage.add(u.key);
    const data = u.data as UsageData;
    const due = timeOf(u) + ctx.chargeDeadlineMs(u.facility);
    const base = { ...(u.facility ? { facility: u.facility } : {}), businessDate: dayOf(u) };
    for (const line of data.lines) {
      if (!(line.chargeCode || ctx.items.chargeable(line.itemNumber))) continue;
      const key = chargeKeyOf(data.eventId, line);
      const found = byKey.get(key) ?? [];
      if (found.length === 0) {
        if (ctx.asOf > due)
          out.add({
            ...base,
            rule: 'charge-missing',
            docKind: 'usage',
            docKey: u.key,
            line: String(line.line),
            field: 'charge',
            expected: key,
            detail: `usage ${u.key} line ${line.line} (item ${line.itemNumber}) has no charge accepted by the billing server (expected ${key}) past the deadline`,
          });
        continue;
      }
      mismatch(u, data, line, found[0]!, out, base);
      if (line.serial) {
        const id = `${data.accountNumber ?? ''}|${line.itemNumber}|${line.serial}`;
        const first = implants.get(id);
        if (first === undefined) implants.set(id, key);
        else if (first !== key)
          out.add({
            ...base,
            rule: 'charge-duplicate',
            docKind: 'charge',
            docKey: key,
            line: String(line.line),
            field: 'serial',
            expected: first,
            actual: key,
            detail: `charge ${key} bills implant ${line.itemNumber} serial ${line.serial} again; it was charged as ${first}`,
          });
      }
    }
  }
}

function mismatch(
  u: StoredBusinessDocument,
  data: UsageData,
  line: UsageData['lines'][number],
  charge: StoredBusinessDocument,
  out: Findings,
  base: { facility?: string; businessDate: string },
): void {
  // what the billing server booked when it said so, else what was sent to it
  const sent = charge.data as SentCharge;
  const c = { ...sent, ...sent.booked }; // a field the server's answer leaves out stays as sent
  const booked = sent.booked ? ' as booked by the billing server' : '';
  const checks: Array<[string, string | undefined, string | undefined, boolean]> = [
    ['itemNumber', line.itemNumber, c.itemNumber, c.itemNumber === undefined || c.itemNumber === line.itemNumber],
    ['quantity', line.quantity.value, c.quantity, c.quantity === undefined || Number(c.quantity) === Number(line.quantity.value)],
    ['accountNumber', data.accountNumber, c.accountNumber, c.accountNumber === undefined || c.accountNumber === data.accountNumber],
  ];
  for (const [field, expected, actual, ok] of checks) {
    out.fields[ok ? 'matched' : 'exception']++;
    if (ok) continue;
    out.add({
      ...base,
      rule: 'charge-mismatch',
      docKind: 'charge',
      docKey: charge.key,
      line: String(line.line),
      field,
      ...(expected !== undefined ? { expected } : {}),
      ...(actual !== undefined ? { actual } : {}),
      detail: `charge ${charge.key} ${field} is ${actual ?? '(none)'}${booked}; usage ${u.key} line ${line.line} says ${expected ?? '(none)'}`,
    });
  }
}
