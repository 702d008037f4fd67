import type { Invoice, InvoiceLine, Party } from '../../../model/index.js';
import type { TransactionSetMapper, X12Segment } from '../types.js';
import { expectKind, finish } from './common/finish.js';
import {
  applyPid,
  applyToParty,
  readDtm,
  readN1,
  readProductIds,
  readSac,
  writeParty,
  writePid,
  writeProductIds,
  writeSac,
  readRef,
} from './common/loops.js';
import { SetReader } from './common/reader.js';
import { designation } from './common/designations.js';
import { checkInvoiceTotal } from './invoice-total.js';
import { dtm, n2, seg, x12Date } from './common/writer.js';

/**
 * 810 invoice ↔ canonical `invoice`. TDS01 carries 2 implied decimals (`TDS*12550` = 125.50); the
 * lines, allowances/charges and taxes are checked against it. Elements mapped are the same in
 * 004010 and 005010.
 */
export const invoice810: TransactionSetMapper = {
  id: '810',
  functionalId: 'IN',
  kind: 'invoice',
  toCanonical(set) {
    const r = new SetReader(set);
    const { invoice, tds } = read810(r);
    if (tds) checkInvoiceTotal(r, invoice, tds);
    return finish(r, invoice);
  },
  fromCanonical(doc) {
    return write810(expectKind(doc, 'invoice', '810'));
  },
};

type Scope = { party?: Party; line?: InvoiceLine; summary: boolean };

function read810(r: SetReader): { invoice: Invoice; tds?: X12Segment } {
  const inv: Invoice = { kind: 'invoice', number: '', invoiceDate: '', lines: [], total: { amount: '' } };
  const scope: Scope = { summary: false };
  let sawBig = false;
  let tds: X12Segment | undefined;
  for (const s of r.body) {
    if (s.id === 'BIG') {
      if (sawBig) r.error('x12-segment-unexpected', `BIG at segment ${s.position} repeats; an 810 has one BIG`, s);
      else readBig(r, s, inv);
      sawBig = true;
    } else if (s.id === 'N1') {
      scope.party = readN1(r, s);
      if (scope.line) r.notMapped(s, 'N1 loop inside an IT1 loop');
      else (inv.parties ??= []).push(scope.party);
    } else if (s.id === 'IT1') {
      scope.party = undefined;
      scope.line = readIt1(r, s, inv.lines.length + 1);
      inv.lines.push(scope.line);
    } else if (s.id === 'TDS') {
      tds = s;
      const total = r.implied(s, 1, 2, 'the total invoice amount', true);
      inv.total = { amount: total ?? '' };
      Object.assign(scope, { party: undefined, line: undefined, summary: true });
    } else if (scope.party && applyToParty(r, scope.party, s)) {
      continue;
    } else if (scope.line && !scope.summary) {
      readLineSegment(r, s, scope.line);
    } else {
      readOtherSegment(r, s, inv, scope.summary);
    }
  }
  if (!sawBig) r.missingSegment('BIG', 'the beginning segment with the invoice number and date');
  if (inv.lines.length === 0) r.missingSegment('IT1', 'at least one invoice line');
  if (!tds) r.missingSegment('TDS', 'the total monetary value of the invoice');
  return { invoice: inv, ...(tds && { tds }) };
}

function readBig(r: SetReader, s: X12Segment, inv: Invoice): void {
  inv.invoiceDate = r.date(s, 1, 'the invoice date', true) ?? '';
  inv.number = r.req(s, 2, 'the invoice number') ?? '';
  const poDate = r.date(s, 3, 'the purchase order date');
  const poNumber = r.opt(s, 4);
  if (poNumber !== undefined)
    inv.purchaseOrder = { type: 'purchase-order', number: poNumber, ...(poDate !== undefined && { date: poDate }) };
}

/** IT102–IT104, mandatory before 004010 (designations.ts), a P020304 pair from 004010 on. */
const IT1_QUANTITY_PRICE: ReadonlyArray<[number, string]> = [
  [2, 'the quantity invoiced'],
  [3, 'the unit of measure'],
  [4, 'the unit price'],
];

function readIt1(r: SetReader, s: X12Segment, ordinal: number): InvoiceLine {
  // IT101 is optional in the standard: a line without it is numbered by its position.
  const lineNo = r.opt(s, 1) ?? String(ordinal);
  // IT102, IT103 and IT104 are sent together or not at all (P020304); without them the line has no
  // quantity or price to map (mandatory before 004010, see designations.ts).
  const sent = [2, 3, 4].filter((n) => r.opt(s, n) !== undefined);
  const mandatory = designation(r.set.id, r.set.version, 'IT1', 2) === 'M';
  if (mandatory) {
    for (const [n, what] of IT1_QUANTITY_PRICE) r.req(s, n, what);
  } else if (sent.length > 0) {
    for (const n of [2, 3, 4]) if (!sent.includes(n)) r.conditional(s, n, 'expected IT102, IT103 and IT104 together (P020304)');
  }
  const quantity = r.decimal(s, 2, 'the quantity invoiced', !mandatory && sent.length === 0) ?? '';
  const unit = r.opt(s, 3);
  const price = r.decimal(s, 4, 'the unit price', !mandatory && sent.length === 0) ?? '';
  return {
    line: lineNo,
    item: readProductIds(r, s, 6, 25).item,
    quantity: { value: quantity, ...(unit !== undefined && { unit }) },
    unitPrice: { amount: price },
  };
}

function readLineSegment(r: SetReader, s: X12Segment, line: InvoiceLine): void {
  if (s.id === 'PID') applyPid(r, line.item, s);
  else if (s.id === 'SAC') {
    const ac = readSac(r, s);
    if (ac) (line.allowancesCharges ??= []).push(ac);
  } else if (s.id === 'CTT') readCtt(r, s, undefined);
  else r.notMapped(s, 'IT1 loop');
}

function readOtherSegment(r: SetReader, s: X12Segment, inv: Invoice, summary: boolean): void {
  switch (s.id) {
    case 'CUR': {
      const currency = r.req(s, 2, 'a currency code such as USD');
      if (currency !== undefined) inv.currency = currency;
      return;
    }
    case 'REF': {
      const ref = readRef(r, s);
      if (ref) (inv.references ??= []).push({ qualifier: ref.qualifier, value: ref.value });
      return;
    }
    case 'ITD':
      inv.terms = readItd(r, s);
      return;
    case 'DTM': {
      const d = readDtm(r, s);
      if (d) (inv.dates ??= []).push(d);
      return;
    }
    case 'TXI': {
      const type = r.req(s, 1, 'a tax type code such as ST');
      const amount = r.decimal(s, 2, 'the tax amount');
      const percent = r.decimal(s, 3, 'the tax percent');
      if (type !== undefined)
        (inv.taxes ??= []).push({ type, ...(amount !== undefined && { amount: { amount } }), ...(percent !== undefined && { percent }) });
      return;
    }
    case 'SAC': {
      const ac = readSac(r, s);
      if (ac) (inv.allowancesCharges ??= []).push(ac);
      return;
    }
    case 'CTT':
      readCtt(r, s, inv);
      return;
    default:
      r.notMapped(s, summary ? 'invoice summary' : 'invoice header');
  }
}

function readItd(r: SetReader, s: X12Segment): NonNullable<Invoice['terms']> {
  const terms: NonNullable<Invoice['terms']> = {};
  const type = r.opt(s, 1);
  const discountPercent = r.decimal(s, 3, 'the discount percent');
  const discountDays = r.integer(s, 5, 'the discount days');
  const netDays = r.integer(s, 7, 'the net days');
  const description = r.opt(s, 12);
  if (type !== undefined) terms.type = type;
  if (discountPercent !== undefined) terms.discountPercent = discountPercent;
  if (discountDays !== undefined) terms.discountDays = discountDays;
  if (netDays !== undefined) terms.netDays = netDays;
  if (description !== undefined) terms.description = description;
  return terms;
}

function readCtt(r: SetReader, s: X12Segment, inv: Invoice | undefined): void {
  if (!inv) {
    r.error('x12-segment-unexpected', `CTT at segment ${s.position} comes before TDS; expected it in the summary`, s);
    return;
  }
  const count = r.integer(s, 1, 'the number of line items');
  if (count === undefined) return;
  inv.totals = { lineCount: count };
  if (count !== inv.lines.length) r.warn('x12-count-mismatch', `CTT01 is ${count} but the set has ${inv.lines.length} IT1 lines`, s, 1);
}

function write810(inv: Invoice): string[][] {
  const po = inv.purchaseOrder;
  const out: string[][] = [seg('BIG', x12Date(inv.invoiceDate), inv.number, x12Date(po?.date), po?.number)];
  if (inv.currency) out.push(seg('CUR', 'SE', inv.currency));
  for (const ref of inv.references ?? []) out.push(seg('REF', ref.qualifier, ref.value));
  for (const p of inv.parties ?? []) out.push(...writeParty(p));
  const t = inv.terms;
  if (t) {
    const num = (n: number | undefined) => (n === undefined ? undefined : String(n));
    out.push(
      seg(
        'ITD',
        t.type,
        '3',
        t.discountPercent,
        undefined,
        num(t.discountDays),
        undefined,
        num(t.netDays),
        undefined,
        undefined,
        undefined,
        undefined,
        t.description,
      ),
    );
  }
  for (const d of inv.dates ?? []) out.push(dtm(d.qualifier, d.date));
  inv.lines.forEach((line, i) => {
    out.push(seg('IT1', line.line, line.quantity.value, line.quantity.unit, line.unitPrice.amount, 'PE', ...writeProductIds(line.item)));
    out.push(...writePid(line.item));
    line.allowancesCharges?.forEach((ac, j) => out.push(writeSac(ac, `lines[${i}].allowancesCharges[${j}]`)));
  });
  out.push(seg('TDS', n2(inv.total.amount, 'total')));
  for (const tax of inv.taxes ?? []) out.push(seg('TXI', tax.type, tax.amount?.amount, tax.percent));
  inv.allowancesCharges?.forEach((ac, i) => out.push(writeSac(ac, `allowancesCharges[${i}]`)));
  out.push(seg('CTT', String(inv.totals?.lineCount ?? inv.lines.length)));
  return out;
}
