import type { AckOptions } from '../../parsers/x12/index.js';
import type { AcceptContext } from '../../parsers/types.js';
import type { X12PartnerProfile } from '../../lib/services.js';
import type { EngineConfig, PartnerConfig } from '../config/index.js';
import { X12Identities } from './identities.js';

/** Our own X12 identity (engine.yaml `x12`), with the defaults used for senders without a partner file. */
export type OwnX12Identity = Omit<NonNullable<EngineConfig['x12']>, 'identities'> & {
  identities?: NonNullable<EngineConfig['x12']>['identities'];
};

/** How we answer one inbound interchange. */
export type AnswerPolicy = {
  /** Partner id, or undefined for a sender without a partner file (engine defaults apply). */
  partner?: string;
  /** Counter key of our control numbers for this sender. */
  counterKey: string;
  kind: '997' | '999' | 'none';
  ta1: NonNullable<AckOptions['ta1']>;
  /** Duplicate window of the partner (overrides the channel's), ms. */
  duplicateWindowMs?: number;
  /** Elements the partner's implementation guide makes mandatory (`require:` of the partner file). */
  required: readonly string[];
};

type AckKind = '997' | '999' | 'none';

/** Counter key for senders that have no partner file. */
export const UNKNOWN_SENDER_COUNTERS = '_unknown';

/**
 * The trading partners of the configuration, found by id (outbound) or by ISA05/ISA06 (inbound).
 * Pure data: built once at engine start from the validated partner files and `engine.yaml` x12.
 */
export class PartnerDirectory {
  private readonly byId = new Map<string, PartnerConfig>();
  /** Our identities: the one we send from to each partner, and the check of whom an inbound interchange addresses. */
  readonly identities: X12Identities;

  constructor(
    partners: readonly PartnerConfig[],
    readonly own: OwnX12Identity | undefined,
    private readonly defaultDuplicateWindowMs?: number,
  ) {
    for (const p of partners) this.byId.set(p.id, p);
    this.identities = new X12Identities(own);
  }

  /** Every partner id, sorted. */
  ids(): string[] {
    return [...this.byId.keys()].sort();
  }

  config(id: string): PartnerConfig | undefined {
    return this.byId.get(id);
  }

  /** The partner whose ISA id (and qualifier, when given) is the sender of an inbound interchange. */
  bySender(qualifier: string, id: string): PartnerConfig | undefined {
    const candidates = [...this.byId.values()].filter((p) => p.isa.id.trim() === id.trim());
    return candidates.find((p) => p.isa.qualifier === qualifier.trim()) ?? candidates[0];
  }

  /** The profile an X12 destination uses; undefined when the partner or our identity for it is missing. */
  profile(id: string): X12PartnerProfile | undefined {
    const p = this.byId.get(id);
    const us = p ? this.identities.select(p.us) : undefined;
    if (!p || !us) return undefined;
    return {
      id: p.id,
      us: { ...us },
      partner: { qualifier: p.isa.qualifier, id: p.isa.id, applicationCode: p.gs.id },
      version: p.version as X12PartnerProfile['version'],
      delimiters: { ...p.delimiters },
      transport: { ...p.transport },
      expect: p.acknowledgments.expect as AckKind,
      deadlineMs: p.acknowledgments.deadline,
      ...(p.poAckDeadline !== undefined ? { poAckDeadlineMs: p.poAckDeadline } : {}),
      ...(p.asnDeadline !== undefined ? { asnDeadlineMs: p.asnDeadline } : {}),
    };
  }

  /**
   * How to answer an interchange from this sender: its partner profile, else the engine defaults. The
   * answer always goes out from the identity the interchange addressed (its envelope reversed), never
   * from our default identity: which one that is, is a property of the interchange, not of the sender.
   */
  /** What processing needs to reject exactly the sets an acknowledgment rejects (the partners' `require:`). */
  acceptContext(): AcceptContext {
    return { requirements: (q, id) => this.answerPolicy(q, id) };
  }

  answerPolicy(senderQualifier: string, senderId: string): AnswerPolicy {
    const p = this.bySender(senderQualifier, senderId);
    if (!p) {
      return {
        counterKey: UNKNOWN_SENDER_COUNTERS,
        kind: (this.own?.defaultAck ?? '999') as AckKind,
        ta1: 'auto',
        required: [],
        ...this.window(undefined),
      };
    }
    const ta1 = p.acknowledgments.ta1 === 'always' ? 'always' : p.acknowledgments.ta1 === 'never' ? 'never' : 'auto';
    return {
      partner: p.id,
      counterKey: p.id,
      kind: p.acknowledgments.send as AckKind,
      ta1,
      required: p.require ?? [],
      ...this.window(p),
    };
  }

  private window(p: PartnerConfig | undefined): { duplicateWindowMs?: number } {
    const ms = p?.duplicateWindow ?? this.defaultDuplicateWindowMs;
    return ms === undefined ? {} : { duplicateWindowMs: ms };
  }
}
