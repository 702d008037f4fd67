import type { X12SentInterchange } from '../../lib/services.js';
import type {
  ControlNumberRequest,
  ControlNumbers,
  X12AckMatch,
  X12Expectation,
  X12Ledger,
  X12OutboundRecord,
  X12ReceivedAck,
} from './types.js';

/**
 * Each store keeps its X12 tables in a class of their own (`x12`); this forwards the X12Ledger
 * methods to it, so the store is one object with the whole Store interface.
 */
export abstract class X12LedgerDelegate implements X12Ledger {
  protected abstract readonly x12: X12Ledger;

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
  seenInterchange(sender: string, isa13: string, sinceMs: number, exceptMessageId?: string): Promise<boolean> {
    return this.x12.seenInterchange(sender, isa13, sinceMs, exceptMessageId);
  }
}
