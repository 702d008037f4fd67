import type { BusinessDocumentKind, ReconFinding, StoredBusinessDocument } from '../store/types.js';
import type { ItemCatalog } from './catalog.js';
import type { Tolerance, Tolerances } from './config.js';

/** What a reconciliation pass needs besides the documents: the time, partners, deadlines, the item master. */
export type ReconcileContext = {
  /** "Now" of the run, ms: deadlines are measured against it. */
  asOf: number;
  /** A partner id from what a document carries (our partner id, or the sender's ISA06). */
  partnerOf(partnerOrSender: string | undefined): string | undefined;
  tolerances(partner: string | undefined): Tolerances;
  poAckDeadlineMs(partner: string | undefined): number;
  asnDeadlineMs(partner: string | undefined): number;
  chargeDeadlineMs(facility: string | undefined): number;
  inventoryDeadlineMs(facility: string | undefined): number;
  items: ItemCatalog;
};

/** How one compared field came out. */
export type MatchResult = 'matched' | 'within-tolerance' | 'exception';

/** Counts of compared fields by result, and of findings by rule: what a run returns. */
export type ReconcileSummary = {
  documents: number;
  fields: Record<MatchResult, number>;
  findings: Record<string, number>;
};

/** Who works each rule's exceptions. */
export const OWNER_ROLES: Record<string, string> = {
  'three-way-mismatch': 'accounts-payable',
  'invoice-line-not-ordered': 'accounts-payable',
  'invoice-without-po': 'accounts-payable',
  'duplicate-invoice': 'accounts-payable',
  'receipt-without-po': 'supply-chain',
  'po-ack-missing': 'supply-chain',
  'asn-missing': 'supply-chain',
  'substitution-unmapped': 'charge-master',
  'unit-not-convertible': 'supply-chain',
  'charge-missing': 'revenue-integrity',
  'charge-duplicate': 'revenue-integrity',
  'charge-mismatch': 'revenue-integrity',
  'inventory-missing': 'supply-chain',
  'inventory-duplicate': 'supply-chain',
  'claim-denied': 'revenue-integrity',
};

/** Collects findings and field results of one pass. */
export class Findings {
  readonly list: ReconFinding[] = [];
  readonly fields: Record<MatchResult, number> = { matched: 0, 'within-tolerance': 0, exception: 0 };

  add(f: Omit<ReconFinding, 'fingerprint' | 'ownerRole'> & { fingerprintExtra?: string }): void {
    const { fingerprintExtra, ...rest } = f;
    const fingerprint = [f.rule, f.docKind, f.docKey, f.partner ?? '', f.line ?? '', f.field ?? '', fingerprintExtra ?? ''].join('|');
    this.list.push({ ...rest, fingerprint, ownerRole: OWNER_ROLES[f.rule] ?? 'supply-chain' });
  }

  /** Compares a number with its expected value under a tolerance; records the field result. */
  compare(expected: number, actual: number, tolerance: Tolerance): MatchResult {
    const diff = Math.abs(round(actual) - round(expected));
    let result: MatchResult;
    if (diff < 1e-9) result = 'matched';
    else if (diff <= tolerance.absolute + 1e-9 || (expected !== 0 && (diff / Math.abs(expected)) * 100 <= tolerance.percent + 1e-9))
      result = 'within-tolerance';
    else result = 'exception';
    this.fields[result]++;
    return result;
  }
}

export function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/** A number as text without float noise (`12.5`, `2450`). */
export function show(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(round(n));
}

/** The YYYY-MM-DD of a business date (or of the time it was recorded). */
export function dayOf(doc: StoredBusinessDocument): string {
  return (doc.businessDate ?? doc.recordedAt).slice(0, 10);
}

/** Milliseconds of a document's business date (midnight UTC for a plain date). */
export function timeOf(doc: StoredBusinessDocument): number {
  const d = doc.businessDate ?? doc.recordedAt;
  const t = Date.parse(d.length <= 10 ? `${d}T00:00:00Z` : d);
  return Number.isNaN(t) ? Date.parse(doc.recordedAt) : t;
}

/** Documents grouped by kind. */
export function byKind(docs: readonly StoredBusinessDocument[]): Map<BusinessDocumentKind, StoredBusinessDocument[]> {
  const out = new Map<BusinessDocumentKind, StoredBusinessDocument[]>();
  for (const d of docs) {
    const list = out.get(d.kind);
    if (list) list.push(d);
    else out.set(d.kind, [d]);
  }
  return out;
}

/** A document was accepted: received ones always; sent ones once their delivery is delivered. */
export function accepted(doc: StoredBusinessDocument): boolean {
  if (doc.deliveryId) return doc.deliveryState === 'delivered';
  const status = (doc.data as { status?: string }).status;
  return status !== 'aborted' && status !== 'entered-in-error';
}
