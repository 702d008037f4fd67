import type { Logger } from '../../lib/log.js';
import type { PoAck, ShipNotice, Invoice } from '../../model/index.js';
import { readFunctionalAck, readTa1, type FunctionalAck, type X12Interchange } from '../../parsers/x12/index.js';
import { transactionSets } from '../../parsers/x12/sets/index.js';
import type { X12Ledger } from '../store/index.js';

/** What correlating one inbound interchange did, for the log and the tests. */
export type CorrelationSummary = { acks: number; matched: number; satisfied: number; links: number; unmatched: number };

/** Functional acknowledgments close the expectation of either kind: a partner asked for 999 that answers 997 has still answered. */
const FUNCTIONAL = ['997', '999'] as const;

/** AK3/AK4 and AK5/AK9 codes of one set result, as ledger detail (ids and codes only, never values). */
function setDetail(kind: string, set: FunctionalAck['sets'][number]): string | undefined {
  const parts: string[] = [];
  if (set.codes.length > 0) parts.push(`${kind === '999' ? 'IK5' : 'AK5'} ${set.codes.join(',')}`);
  for (const e of set.errors) {
    parts.push(`${kind === '999' ? 'IK3' : 'AK3'} ${e.segment}@${e.position} ${e.code}`);
    for (const el of e.elements) parts.push(`${kind === '999' ? 'IK4' : 'AK4'} ${el.position} ${el.code}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Matches what a partner sent back to what we sent it, and writes the result to the ledger: a TA1
 * (by ISA13), each AK2/IK2 of a 997/999 (by GS06 and ST02; the whole group when the 997 lists no
 * AK2), an 855 (by PO number, kind `855`), and links 856 and 810 documents to their 850.
 * Never throws for what the partner sent; a store failure rejects.
 */
export async function correlateInterchange(
  ic: X12Interchange,
  ctx: { partner: string; messageId: string; ledger: X12Ledger; log: Logger },
): Promise<CorrelationSummary> {
  const sum: CorrelationSummary = { acks: 0, matched: 0, satisfied: 0, links: 0, unmatched: 0 };
  const record = async (ack: Parameters<X12Ledger['recordX12Ack']>[0]) => {
    sum.acks++;
    const r = await ctx.ledger.recordX12Ack({ ...ack, viaMessageId: ctx.messageId });
    sum.matched += r.matched.length;
    sum.satisfied += r.satisfied;
    if (r.matched.length === 0) sum.unmatched++;
  };
  for (const seg of ic.ta1) {
    const t = readTa1(seg);
    await record({
      partner: ctx.partner,
      kind: 'ta1',
      code: t.status,
      detail: `TA105 ${t.noteCode}`,
      answers: { isa13: t.interchangeControlNumber },
      satisfies: t.status === 'R' ? FUNCTIONAL : [],
    });
  }
  for (const group of ic.groups) {
    for (const set of group.sets) {
      if (set.id === '997' || set.id === '999') {
        const { ack } = readFunctionalAck(set);
        if (!ack) continue;
        if (ack.sets.length === 0) {
          const detail = ack.groupCodes.length > 0 ? `AK9 ${ack.groupCodes.join(',')}` : undefined;
          await record({
            partner: ctx.partner,
            kind: ack.kind,
            code: ack.accepted,
            ...(detail ? { detail } : {}),
            answers: { gs06: ack.groupControlNumber },
            satisfies: FUNCTIONAL,
          });
        }
        for (const s of ack.sets) {
          const detail = setDetail(ack.kind, s);
          await record({
            partner: ctx.partner,
            kind: ack.kind,
            code: s.status || ack.accepted,
            ...(detail ? { detail } : {}),
            answers: { gs06: ack.groupControlNumber, st02: s.controlNumber },
            satisfies: FUNCTIONAL,
          });
        }
        continue;
      }
      const mapper = transactionSets.find((m) => m.id === set.id);
      if (!mapper || set.segments.length === 0) continue;
      let documents;
      try {
        documents = mapper.toCanonical(set).documents;
      } catch {
        continue; // the processor reports the mapping failure with the message
      }
      for (const doc of documents) {
        if (doc.kind === 'po-ack') {
          const po = (doc as PoAck).purchaseOrder.number;
          await record({
            partner: ctx.partner,
            kind: '855',
            code: (doc as PoAck).status,
            detail: `PO ${po}`,
            answers: { poNumber: po },
            satisfies: ['855'],
          });
        } else if (doc.kind === 'ship-notice' || doc.kind === 'invoice') {
          const numbers =
            doc.kind === 'ship-notice'
              ? (doc as ShipNotice).orders.map((o) => o.purchaseOrder.number)
              : [(doc as Invoice).purchaseOrder?.number].filter((n): n is string => Boolean(n));
          for (const poNumber of new Set(numbers)) {
            const linked = await ctx.ledger.linkX12Document({ partner: ctx.partner, messageId: ctx.messageId, kind: set.id, poNumber });
            sum.links += linked;
            if (linked === 0) sum.unmatched++;
          }
        }
      }
    }
  }
  if (sum.unmatched > 0)
    ctx.log.warn(
      { partner: ctx.partner, messageId: ctx.messageId, isa13: ic.header.controlNumber, unmatched: sum.unmatched },
      'x12: acknowledgments or documents that answer nothing we sent',
    );
  return sum;
}
