import type { MdnOwed, MdnRecord, X12SentInterchange } from '../../lib/services.js';
import type {
  BusinessDocumentKind,
  CaseDocument,
  DocumentLedger,
  DocumentKey,
  DocumentLink,
  DocumentQuery,
  ReconEvent,
  ReconException,
  ReconExceptionQuery,
  ReconRun,
  ReconRunResult,
  ReconState,
  StoredBusinessDocument,
  ControlNumberRequest,
  ControlNumbers,
  X12AckMatch,
  X12Expectation,
  X12Ledger,
  X12OutboundRecord,
  X12ReceivedAck,
  MdnLedger,
} from './types.js';

/**
 * Each store keeps its X12 tables in a class of their own (`x12`), and its business documents and
 * reconciliation exceptions in another (`documents`), and the MDNs owed in a third (`mdns`); this forwards the
 * X12Ledger, MdnLedger and DocumentLedger methods to them, so the store is one object with the whole Store interface.
 */
export abstract class X12LedgerDelegate implements X12Ledger, MdnLedger, DocumentLedger {
  protected abstract readonly x12: X12Ledger;
  protected abstract readonly documents: DocumentLedger;
  protected abstract readonly mdns: MdnLedger;

  expectMdn(owed: MdnOwed): Promise<void> {
    return this.mdns.expectMdn(owed);
  }
  mdnOwed(as2To: string, as2MessageId: string): Promise<MdnRecord | undefined> {
    return this.mdns.mdnOwed(as2To, as2MessageId);
  }
  settleMdn(result: { id: number; outcome: string; detail: string; settle: boolean }): Promise<boolean> {
    return this.mdns.settleMdn(result);
  }
  overdueMdns(now?: number, limit?: number): Promise<MdnRecord[]> {
    return this.mdns.overdueMdns(now, limit);
  }
  overdueMdnCounts(now?: number): Promise<Record<string, number>> {
    return this.mdns.overdueMdnCounts(now);
  }
  partnerMdns(partner: string, limit?: number): Promise<MdnRecord[]> {
    return this.mdns.partnerMdns(partner, limit);
  }
  messageMdns(messageId: string): Promise<MdnRecord[]> {
    return this.mdns.messageMdns(messageId);
  }

  documentsByKey(kind: BusinessDocumentKind, key: string): Promise<StoredBusinessDocument[]> {
    return this.documents.documentsByKey(kind, key);
  }
  documentLinks(refs: ReadonlyArray<{ kind: BusinessDocumentKind; key: string }>): Promise<DocumentLink[]> {
    return this.documents.documentLinks(refs);
  }
  listDocuments(query: DocumentQuery): Promise<StoredBusinessDocument[]> {
    return this.documents.listDocuments(query);
  }
  listDocumentKeys(query: DocumentQuery): Promise<DocumentKey[]> {
    return this.documents.listDocumentKeys(query);
  }
  applyReconRun(run: ReconRun): Promise<ReconRunResult> {
    return this.documents.applyReconRun(run);
  }
  openReconExceptionsIn(run: { from: string; to: string; scope: readonly string[] }): Promise<boolean> {
    return this.documents.openReconExceptionsIn(run);
  }
  caseDocuments(refs: readonly string[]): Promise<CaseDocument[]> {
    return this.documents.caseDocuments(refs);
  }
  documentRefsFloor(): Promise<number | undefined> {
    return this.documents.documentRefsFloor();
  }
  addDocumentRefs(rows: ReadonlyArray<{ documentId: number; refs: readonly string[] }>): Promise<void> {
    return this.documents.addDocumentRefs(rows);
  }
  listReconExceptions(query: ReconExceptionQuery): Promise<ReconException[]> {
    return this.documents.listReconExceptions(query);
  }
  getReconException(id: number): Promise<(ReconException & { events: ReconEvent[] }) | undefined> {
    return this.documents.getReconException(id);
  }
  updateReconException(id: number, change: { state: ReconState; actor: string; reason?: string; ownerRole?: string }): Promise<boolean> {
    return this.documents.updateReconException(id, change);
  }

  nextControlNumbers(partner: string, request: ControlNumberRequest): Promise<ControlNumbers> {
    return this.x12.nextControlNumbers(partner, request);
  }
  recordX12Outbound(record: X12OutboundRecord): Promise<void> {
    return this.x12.recordX12Outbound(record);
  }
  recordX12Ack(ack: X12ReceivedAck): Promise<X12AckMatch> {
    return this.x12.recordX12Ack(ack);
  }
  x12SentFor(deliveryId: string): Promise<X12SentInterchange | undefined> {
    return this.x12.x12SentFor(deliveryId);
  }
  linkX12Document(link: { partner: string; messageId: string; kind: string; poNumber: string }): Promise<number> {
    return this.x12.linkX12Document(link);
  }
  overdueX12(now?: number, limit?: number): Promise<X12Expectation[]> {
    return this.x12.overdueX12(now, limit);
  }
  overdueX12Counts(now?: number): Promise<Record<string, number>> {
    return this.x12.overdueX12Counts(now);
  }
  x12Expectations(messageId: string): Promise<X12Expectation[]> {
    return this.x12.x12Expectations(messageId);
  }

  partnerExpectations(partner: string, limit?: number): Promise<X12Expectation[]> {
    return this.x12.partnerExpectations(partner, limit);
  }
  seenInterchange(sender: string, isa13: string, sinceMs: number, exceptMessageId?: string): Promise<boolean> {
    return this.x12.seenInterchange(sender, isa13, sinceMs, exceptMessageId);
  }
}
