import type { AllowanceCharge, Invoice } from '../../../model/index.js';
import type { X12Segment } from '../types.js';
import { addExact, compareExact, formatExact, multiplyExact, roundExact, subtractExact, toExact, type Exact } from './common/decimal.js';
import type { SetReader } from './common/reader.js';

const ZERO: Exact = { units: 0n, scale: 0 };

function applyAllowancesCharges(sum: Exact, list: AllowanceCharge[] | undefined): Exact {
  let out = sum;
  for (const ac of list ?? []) {
    const amount = ac.amount ? toExact(ac.amount.amount) : undefined;
    if (!amount) continue;
    out = ac.type === 'allowance' ? subtractExact(out, amount) : addExact(out, amount);
  }
  return out;
}

/**
 * The invoice total as the lines say it: Σ round2(quantity × unit price) ± line allowances/charges,
 * ± summary allowances/charges, + tax amounts. Undefined when a line's numbers are unreadable.
 */
export function computedInvoiceTotal(inv: Invoice): Exact | undefined {
  let sum = ZERO;
  for (const line of inv.lines) {
    const q = toExact(line.quantity.value);
    const p = toExact(line.unitPrice.amount);
    if (!q || !p) return undefined;
    sum = addExact(sum, roundExact(multiplyExact(q, p), 2));
    sum = applyAllowancesCharges(sum, line.allowancesCharges);
  }
  sum = applyAllowancesCharges(sum, inv.allowancesCharges);
  for (const tax of inv.taxes ?? []) {
    const amount = tax.amount ? toExact(tax.amount.amount) : undefined;
    if (amount) sum = addExact(sum, amount);
  }
  return roundExact(sum, 2);
}

/** Warns `x12-total-mismatch` when TDS01 differs from the computed total. */
export function checkInvoiceTotal(r: SetReader, inv: Invoice, tds: X12Segment): void {
  const stated = toExact(inv.total.amount);
  const computed = computedInvoiceTotal(inv);
  if (!stated || !computed) return;
  if (compareExact(stated, computed) !== 0) {
    r.warn(
      'x12-total-mismatch',
      `TDS01 is ${formatExact(roundExact(stated, 2))} but the lines, allowances/charges and taxes add up to ${formatExact(computed)}`,
      tds,
      1,
    );
  }
}
