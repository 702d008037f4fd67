import type { Diagnostic } from '../../lib/errors.js';
import { splitInterchanges } from '../../parsers/x12/split.js';

/** One of our interchange identities: ISA05/ISA06 and GS02 of what we send from it. */
export type X12Identity = { qualifier: string; id: string; applicationCode: string };

/** An interchange's receiver as its ISA says it (ISA07/ISA08). */
export type Addressee = { receiverQualifier?: string; receiverId?: string };

const ISA_LOCATION = { segment: 'ISA', segmentIndex: 1 } as const;

/**
 * Our X12 identities (engine.yaml `x12`: the default `interchangeId`, then `identities`), and the
 * check that an inbound interchange is addressed to one of them. The check runs once engine.yaml
 * declares the list `identities`; a configuration with the single `interchangeId` only (or no `x12`
 * section) takes every interchange as addressed to us. Either way the answer goes out from the
 * identity the interchange addressed (what `interlace ack` previews).
 */
export class X12Identities {
  readonly all: readonly X12Identity[];
  /** Whether inbound interchanges are checked against `all` (engine.yaml declares `identities`). */
  readonly checks: boolean;

  constructor(
    x12:
      | {
          qualifier: string;
          interchangeId?: string | undefined;
          applicationCode?: string | undefined;
          identities?: ReadonlyArray<{ qualifier: string; interchangeId: string; applicationCode: string }>;
        }
      | undefined,
  ) {
    const list: X12Identity[] = [];
    if (x12?.interchangeId && x12.applicationCode)
      list.push({ qualifier: x12.qualifier, id: x12.interchangeId, applicationCode: x12.applicationCode });
    for (const i of x12?.identities ?? []) list.push({ qualifier: i.qualifier, id: i.interchangeId, applicationCode: i.applicationCode });
    this.all = list;
    this.checks = (x12?.identities?.length ?? 0) > 0;
  }

  /** The identity we send from by default: `x12.interchangeId`, else the first of `identities`. */
  get default(): X12Identity | undefined {
    return this.all[0];
  }

  /** The identity a partner file's `us:` names (its id, and its qualifier when given), or the default when it names none. */
  select(us: { qualifier?: string | undefined; id: string } | undefined): X12Identity | undefined {
    if (!us) return this.default;
    const same = this.all.filter((i) => i.id.trim() === us.id.trim());
    return us.qualifier === undefined ? same[0] : same.find((i) => i.qualifier === us.qualifier);
  }

  /**
   * Undefined when the interchange is addressed to one of our identities (or we declare no list);
   * otherwise the interchange-level finding its TA1 rejects it with: `x12-receiver-unknown` (TA105
   * 009) or, when the id is ours under another qualifier, `x12-receiver-qualifier` (007).
   */
  finding(to: Addressee): Diagnostic | undefined {
    if (!this.checks) return undefined;
    const id = (to.receiverId ?? '').trim();
    const qualifier = (to.receiverQualifier ?? '').trim();
    const same = this.all.filter((i) => i.id.trim() === id);
    if (same.some((i) => i.qualifier === qualifier)) return undefined;
    if (same.length > 0)
      return {
        severity: 'error',
        code: 'x12-receiver-qualifier',
        message: `ISA07 is not the qualifier of our interchange id in ISA08; expected ${same.map((i) => i.qualifier).join(' or ')}`,
        location: { ...ISA_LOCATION, field: 7 },
      };
    return {
      severity: 'error',
      code: 'x12-receiver-unknown',
      message: `ISA08 is not one of our interchange ids; expected ${this.all.map((i) => `${i.qualifier}/${i.id}`).join(', ')} (engine.yaml x12)`,
      location: { ...ISA_LOCATION, field: 8 },
    };
  }

  /**
   * The findings of every interchange of a received unit, in order; empty when all are addressed to
   * us. When any is not, the others get `x12-unit-rejected`: the unit is stored (and answered) as
   * one, rejected and not processed.
   */
  unitFindings(addressees: readonly Addressee[]): Diagnostic[][] {
    if (!this.checks) return [];
    const own = addressees.map((a) => this.finding(a));
    if (own.every((f) => f === undefined)) return [];
    return own.map((f) =>
      f
        ? [f]
        : [
            {
              severity: 'error' as const,
              code: 'x12-unit-rejected',
              message:
                'another interchange of the same file or message is addressed to a receiver that is not us; the whole unit is rejected',
              location: ISA_LOCATION,
            },
          ],
    );
  }

  /** `unitFindings` of raw bytes, cut with the X12 splitter (the intake's check before storing). */
  rawFindings(raw: Buffer): Diagnostic[] {
    if (!this.checks) return [];
    const units = splitInterchanges(raw).filter((u) => u.controlNumber !== undefined || u.receiverId !== undefined);
    return this.unitFindings(units).flat();
  }
}
