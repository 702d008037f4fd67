import type { IngestResult, InterchangeAnswer, InterchangeService } from '../../channels/types.js';
import type { PartnerLinks } from '../../lib/services.js';
import { splitInterchanges } from '../../parsers/x12/split.js';
import type { Logger } from '../../lib/log.js';
import {
  buildAck,
  parseX12,
  widen,
  withAcceptanceFindings,
  withDuplicateCheck,
  type AckInterchange,
  type X12Interchange,
} from '../../parsers/x12/index.js';
import type { MessageStore, X12Ledger } from '../store/index.js';
import { correlateInterchange } from './correlate.js';
import type { AnswerPolicy, PartnerDirectory } from './partners.js';

export type X12InboundOptions = {
  store: MessageStore & X12Ledger;
  partners: PartnerDirectory;
  log: Logger;
};

/**
 * The engine side of an inbound X12 channel, given to its source (whatever its transport) as the
 * `interchanges` service of its context. For each stored interchange it:
 * 1. finds the sender's partner profile (ISA05/ISA06; engine defaults without one);
 * 2. marks a duplicate (the store saw the same ISA06 + ISA13 within the window) so that it is
 *    answered with TA1 R 025 and never correlated twice (the store keeps it from processing);
 * 3. correlates TA1/997/999 and 855/856/810 with what we sent (docs/x12-engine.md);
 * 4. builds the 997/999/TA1 with our persistent control numbers, records it as sent (acks ledger and
 *    outbound registry) and returns it for the source to send back (its own way, or through the
 *    partner's transport with `deliver`).
 */
export class X12Inbound {
  constructor(private readonly o: X12InboundOptions) {}

  /** The service a channel's source gets in its context; answers go back through `partners` when the source asks. */
  service(channel: string, partners: PartnerLinks): InterchangeService {
    return {
      split: splitInterchanges,
      answer: (raw, result) => this.answerFor(channel, raw, result),
      deliver: async (answer, name, messageId) => {
        if (!answer.partner) return undefined;
        return partners.send(answer.partner, { name, body: answer.body, messageId });
      },
    };
  }

  /** The answer's bytes only (tests and `interlace ack`). */
  async answer(channel: string, raw: Buffer, result: IngestResult): Promise<Buffer | undefined> {
    return (await this.answerFor(channel, raw, result))?.body;
  }

  async answerFor(channel: string, raw: Buffer, result: IngestResult): Promise<InterchangeAnswer | undefined> {
    const parsed = parseX12(raw);
    if (!parsed.message || parsed.message.interchanges.length === 0) return undefined;
    const out: string[] = [];
    let partner: string | undefined;
    const interchanges = parsed.message.interchanges;
    // Addressed to an identity that is not ours: TA1 009/007, never correlated (the intake stored the unit as rejected).
    const refused = this.o.partners.identities.unitFindings(interchanges.map((ic) => ic.header));
    for (const [i, read] of interchanges.entries()) {
      const ic = refused.length > 0 ? { ...read, diagnostics: [...read.diagnostics, ...refused[i]!] } : read;
      const policy = this.o.partners.answerPolicy(ic.header.senderQualifier, ic.header.senderId);
      partner ??= policy.partner;
      const duplicate = result.duplicate || (await this.seenBefore(ic, policy, result.messageId));
      const log = this.o.log.child({ channel, messageId: result.messageId, isa13: ic.header.controlNumber, partner: policy.partner });
      if (!duplicate && policy.partner && refused.length === 0) {
        await correlateInterchange(ic, { partner: policy.partner, messageId: result.messageId, ledger: this.o.store, log });
      }
      const ack = await this.acknowledge(
        withDuplicateCheck({ interchanges: [ic], diagnostics: [] }, () => duplicate).interchanges[0]!,
        policy,
        result.messageId,
      );
      if (ack) out.push(ack.endsWith('\n') ? ack : `${ack}\n`);
    }
    // In the partner's encoding: UTF-16 when they sent UTF-16 (parsers/x12/encoding.ts).
    const body = widen(Buffer.from(out.join(''), 'latin1'), interchanges[0]?.encoding);
    return out.length > 0 ? { body, ...(partner ? { partner } : {}) } : undefined;
  }

  private async seenBefore(ic: X12Interchange, policy: AnswerPolicy, messageId: string): Promise<boolean> {
    if (policy.duplicateWindowMs === undefined || policy.duplicateWindowMs <= 0) return false;
    return this.o.store.seenInterchange(ic.header.senderId, ic.header.controlNumber, Date.now() - policy.duplicateWindowMs, messageId);
  }

  /** Builds and records the acknowledgment of one interchange; undefined when there is nothing to send. */
  private async acknowledge(ic: X12Interchange, policy: AnswerPolicy, messageId: string): Promise<string | undefined> {
    if (policy.kind === 'none') return undefined;
    const checked = withAcceptanceFindings({ interchanges: [ic], diagnostics: [] }, () => policy).interchanges[0]!;
    const dry = buildAck(checked, { kind: policy.kind, next: () => 1, ta1: policy.ta1 });
    if (!dry) return undefined;
    const groups = dry.groups.length;
    const numbers = await this.o.store.nextControlNumbers(policy.counterKey, { interchanges: 1, groups, sets: groups });
    const used = { group: [] as number[], set: [] as number[] };
    const take = { interchange: [...numbers.interchanges], group: [...numbers.groups], set: [...numbers.sets] };
    const ack = buildAck(checked, {
      kind: policy.kind,
      ta1: policy.ta1,
      next: (k) => {
        const n = take[k].shift();
        if (n === undefined) throw new Error(`x12 answer: ran out of ${k} control numbers`);
        if (k !== 'interchange') used[k].push(n);
        return n;
      },
    })!;
    await this.recordSent(ack, policy, messageId, used);
    return ack.text;
  }

  private async recordSent(
    ack: AckInterchange,
    policy: AnswerPolicy,
    messageId: string,
    used: { group: number[]; set: number[] },
  ): Promise<void> {
    const kind = ack.groups.length > 0 ? policy.kind : 'ta1';
    await this.o.store.recordX12Outbound({
      partner: policy.counterKey,
      kind,
      isa13: ack.controlNumber,
      messageId,
      sets: ack.groups.map((_, i) => ({ gs06: String(used.group[i]), st02: String(used.set[i]).padStart(4, '0'), setId: policy.kind })),
    });
    if (ack.ta1)
      await this.o.store.recordAnswer(messageId, {
        kind: 'ta1',
        code: ack.ta1.status,
        detail: `ISA13 ${ack.controlNumber} TA105 ${ack.ta1.noteCode}`,
      });
    for (const g of ack.groups) {
      const rejected = g.setStatuses.filter((s) => s.status !== 'A').map((s) => `${s.controlNumber}:${s.status}`);
      const detail = `ISA13 ${ack.controlNumber} GS06 ${g.groupControlNumber}${rejected.length ? ` sets ${rejected.join(',')}` : ''}`;
      await this.o.store.recordAnswer(messageId, { kind: policy.kind, code: g.status, detail });
    }
  }
}
