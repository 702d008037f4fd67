import type { ClaimAdjustment, ClaimPayment, ClaimPaymentClaim, Party, ServicePayment } from '../../../model/index.js';
import type { TransactionSetMapper, X12Segment } from '../types.js';
import { expectKind, finish } from './common/finish.js';
import { applyToParty, readDtm, readN1, readRef, writeParty } from './common/loops.js';
import { SetReader } from './common/reader.js';
import { dtm, seg, x12Date } from './common/writer.js';

/**
 * 835 claim payment/advice ↔ canonical `claim-payment`: the payer's answer to the claims the
 * billing platform sent, with the check or transfer (BPR, TRN), each claim (CLP) and each service
 * line (SVC) with its adjustments (CAS) and the charge id we sent (REF 6R). Patient and provider
 * names (NM1) are never read: the canonical claim payment carries no patient identifier.
 * Elements mapped are the same in 004010 and 005010; before 003040, CLP03 was the amount paid and
 * CLP04 the amount charged (swapped on read and write).
 */
export const claimPayment835: TransactionSetMapper = {
  id: '835',
  functionalId: 'HP',
  kind: 'claim-payment',
  toCanonical(set) {
    const r = new SetReader(set);
    return finish(r, read835(r));
  },
  fromCanonical(doc, options) {
    return write835(expectKind(doc, 'claim-payment', '835'), options.version, options.component ?? '>');
  },
};

/** CLP02 → `status`. */
const CLAIM_STATUS: Readonly<Record<string, ClaimPaymentClaim['status']>> = {
  '1': 'processed',
  '2': 'processed',
  '3': 'processed',
  '19': 'processed',
  '20': 'processed',
  '21': 'processed',
  '4': 'denied',
  '22': 'reversed',
};

/** Before 003040 the segment dictionary had CLP03 paid and CLP04 charged. */
function paidFirst(version: string): boolean {
  return /^00(1|2|30[0-3])/.test(version.trim());
}

type Scope = { party?: Party; claim?: ClaimPaymentClaim; service?: ServicePayment };

function read835(r: SetReader): ClaimPayment {
  const doc: ClaimPayment = {
    kind: 'claim-payment',
    traceNumber: '',
    handling: '',
    total: { amount: '' },
    creditDebit: 'C',
    method: '',
    claims: [],
  };
  const scope: Scope = {};
  let sawBpr = false;
  let sawTrn = false;
  for (const s of r.body) {
    if (s.id === 'BPR') {
      if (sawBpr) r.error('x12-segment-unexpected', `BPR at segment ${s.position} repeats; an 835 has one BPR`, s);
      else readBpr(r, s, doc);
      sawBpr = true;
    } else if (s.id === 'TRN' && !scope.claim) {
      if (!sawTrn) doc.traceNumber = r.req(s, 2, 'the check or transfer trace number') ?? '';
      r.req(s, 1, 'a trace type code such as 1');
      sawTrn = true;
    } else if (s.id === 'N1' && !scope.claim) {
      scope.party = readN1(r, s);
      (doc.parties ??= []).push(scope.party);
    } else if (s.id === 'CLP') {
      Object.assign(scope, { party: undefined, service: undefined, claim: readClp(r, s) });
      doc.claims.push(scope.claim!);
    } else if (s.id === 'SVC' && scope.claim) {
      scope.service = readSvc(r, s);
      (scope.claim.services ??= []).push(scope.service);
    } else if (s.id === 'CAS' && scope.claim) {
      const target = scope.service ?? scope.claim;
      (target.adjustments ??= []).push(...readCas(r, s));
    } else if (scope.party && applyToParty(r, scope.party, s)) {
      continue;
    } else if (s.id === 'NM1' || s.id === 'LX') {
      // Names of patients, insured and providers are not kept; LX only groups claims.
      scope.party = undefined;
    } else if (scope.service && (s.id === 'REF' || s.id === 'DTM')) {
      readServiceSegment(r, s, scope.service);
    } else if (s.id === 'DTM' && !scope.service) {
      const d = readDtm(r, s);
      if (d) ((scope.claim ?? doc).dates ??= []).push(d);
    } else {
      r.notMapped(s, scope.service ? 'SVC loop' : scope.claim ? 'CLP loop' : '835 header');
    }
  }
  if (!sawBpr) r.missingSegment('BPR', 'the payment: amount, credit/debit, method and date');
  if (!sawTrn) r.missingSegment('TRN', 'the check or transfer trace number');
  if (doc.claims.length === 0) r.missingSegment('CLP', 'at least one claim');
  return doc;
}

function readBpr(r: SetReader, s: X12Segment, doc: ClaimPayment): void {
  doc.handling = r.req(s, 1, 'a transaction handling code such as I') ?? '';
  doc.total = { amount: r.decimal(s, 2, 'the total payment amount', true) ?? '' };
  const flag = r.req(s, 3, 'a credit/debit flag (C or D)');
  if (flag !== undefined && flag !== 'C' && flag !== 'D')
    r.error('x12-element-invalid-code', `BPR03 is "${flag}"; expected C (credit) or D (debit)`, s, 3);
  else if (flag !== undefined) doc.creditDebit = flag;
  doc.method = r.req(s, 4, 'a payment method code such as ACH, CHK or NON') ?? '';
  const date = r.date(s, 16, 'the payment effective date');
  if (date !== undefined) doc.paymentDate = date;
}

function readClp(r: SetReader, s: X12Segment): ClaimPaymentClaim {
  const [chargedAt, paidAt] = paidFirst(r.set.version) ? [4, 3] : [3, 4];
  const claimId = r.req(s, 1, "the claim submitter's identifier (the claim id we sent)") ?? '';
  const statusCode = r.req(s, 2, 'a claim status code such as 1 (processed as primary) or 4 (denied)') ?? '';
  const charged = r.decimal(s, chargedAt, 'the amount charged on the claim', true) ?? '';
  const paid = r.decimal(s, paidAt, 'the amount paid on the claim', true) ?? '';
  const responsibility = r.decimal(s, 5, 'the patient responsibility amount');
  const payerClaimNumber = r.opt(s, 7);
  return {
    claimId,
    status: CLAIM_STATUS[statusCode] ?? 'other',
    statusCode,
    charged: { amount: charged },
    paid: { amount: paid },
    ...(responsibility !== undefined && { patientResponsibility: { amount: responsibility } }),
    ...(payerClaimNumber !== undefined && { payerClaimNumber }),
  };
}

function readSvc(r: SetReader, s: X12Segment): ServicePayment {
  const composite = r.req(s, 1, 'the procedure billed (qualifier and code, e.g. HC and a HCPCS code)') ?? '';
  const [qualifier = '', code = '', ...modifiers] = composite.split(r.component);
  if (composite !== '' && (qualifier === '' || code === ''))
    r.error('x12-element-missing', `SVC01 is "${composite}"; expected a product/service id qualifier and a code (SVC01-1, SVC01-2)`, s, 1);
  const charged = r.decimal(s, 2, 'the amount charged on the line', true) ?? '';
  const paid = r.decimal(s, 3, 'the amount paid on the line') ?? '0';
  const revenueCode = r.opt(s, 4);
  const units = r.decimal(s, 5, 'the units paid');
  const kept = modifiers.filter((m) => m !== '');
  return {
    procedure: { qualifier, code, ...(kept.length > 0 && { modifiers: kept }) },
    charged: { amount: charged },
    paid: { amount: paid },
    ...(revenueCode !== undefined && { revenueCode }),
    ...(units !== undefined && { units }),
  };
}

/** CAS: a group code and up to six reason/amount/quantity triples (CAS02–04, 05–07, … 17–19). */
function readCas(r: SetReader, s: X12Segment): ClaimAdjustment[] {
  const group = r.req(s, 1, 'a claim adjustment group code such as CO or PR');
  const out: ClaimAdjustment[] = [];
  for (let n = 2; n <= 17; n += 3) {
    const first = n === 2;
    const reason = first ? r.req(s, n, 'a claim adjustment reason code') : r.opt(s, n);
    const amount = r.decimal(s, n + 1, 'the adjustment amount', first);
    const quantity = r.decimal(s, n + 2, 'the units adjusted');
    if (!first && reason === undefined) {
      if (amount !== undefined || quantity !== undefined)
        r.conditional(s, n, `expected the reason code of the adjustment in CAS${String(n + 1).padStart(2, '0')} (C${n + 1}${n})`);
      continue;
    }
    if (!first && amount === undefined && quantity === undefined)
      r.conditional(s, n + 1, `expected the amount or the quantity of the adjustment CAS${String(n).padStart(2, '0')} names`);
    if (group !== undefined && reason !== undefined && amount !== undefined)
      out.push({ group, reason, amount, ...(quantity !== undefined && { quantity }) });
  }
  return out;
}

function readServiceSegment(r: SetReader, s: X12Segment, service: ServicePayment): void {
  if (s.id === 'REF') {
    const ref = readRef(r, s);
    if (ref?.qualifier === '6R') service.chargeId = ref.value;
    else if (ref) r.notMapped(s, 'SVC loop (REF other than 6R)');
    return;
  }
  const d = readDtm(r, s);
  if (d && ['472', '150', '151'].includes(d.qualifier)) service.serviceDate ??= d.date.slice(0, 10);
  else if (d) r.notMapped(s, `SVC loop (DTM ${d.qualifier})`);
}

function write835(doc: ClaimPayment, version: string, component: string): string[][] {
  const empties = Array<undefined>(11).fill(undefined);
  const out: string[][] = [
    seg('BPR', doc.handling, doc.total.amount, doc.creditDebit, doc.method, ...empties, x12Date(doc.paymentDate)),
    seg('TRN', '1', doc.traceNumber),
  ];
  for (const d of doc.dates ?? []) out.push(dtm(d.qualifier, d.date));
  for (const p of doc.parties ?? []) out.push(...writeParty(p));
  const swap = paidFirst(version);
  doc.claims.forEach((c, i) => {
    out.push(seg('LX', String(i + 1)));
    const [a, b] = swap ? [c.paid.amount, c.charged.amount] : [c.charged.amount, c.paid.amount];
    out.push(seg('CLP', c.claimId, c.statusCode, a, b, c.patientResponsibility?.amount, undefined, c.payerClaimNumber));
    for (const adj of c.adjustments ?? []) out.push(seg('CAS', adj.group, adj.reason, adj.amount, adj.quantity));
    for (const d of c.dates ?? []) out.push(dtm(d.qualifier, d.date));
    for (const sv of c.services ?? []) {
      const procedure = [sv.procedure.qualifier, sv.procedure.code, ...(sv.procedure.modifiers ?? [])].join(component);
      out.push(seg('SVC', procedure, sv.charged.amount, sv.paid.amount, sv.revenueCode, sv.units));
      if (sv.serviceDate) out.push(dtm('472', sv.serviceDate));
      for (const adj of sv.adjustments ?? []) out.push(seg('CAS', adj.group, adj.reason, adj.amount, adj.quantity));
      if (sv.chargeId) out.push(seg('REF', '6R', sv.chargeId));
    }
  });
  return out;
}
