import type { ClaimPayment, ClaimPaymentClaim, ServicePayment } from '../../model/index.js';
import type { StoredBusinessDocument } from '../store/types.js';
import { dayOf, type Findings } from './context.js';

/** A service line the payer paid nothing for, and why (its first adjustment that is not the patient's share). */
function deniedLine(claim: ClaimPaymentClaim, s: ServicePayment): string | undefined {
  if (claim.status === 'reversed') return undefined;
  const reason = [...(s.adjustments ?? []), ...(claim.adjustments ?? [])].find((a) => a.group !== 'PR');
  if (claim.status === 'denied') return reason ? `${reason.group}-${reason.reason}` : 'denied';
  if (Number(s.paid.amount) !== 0 || Number(s.charged.amount) === 0) return undefined;
  return reason ? `${reason.group}-${reason.reason}` : undefined;
}

/**
 * Payment status coming back (835): a charge the payer denied, whole claim (CLP02 4) or line (paid
 * nothing, with an adjustment that is not the patient's share), is a `claim-denied` exception for
 * revenue integrity, on the charge the 835 names (REF 6R), dated by the service date, so it shows on
 * the charge's chain and in the morning report of the day of service.
 */
export function reconcileClaimPayments(payments: readonly StoredBusinessDocument[], out: Findings): void {
  for (const p of payments) {
    const data = p.data as ClaimPayment;
    for (const claim of data.claims) {
      for (const s of claim.services ?? []) {
        const why = deniedLine(claim, s);
        if (why === undefined) continue;
        const onCharge = s.chargeId !== undefined;
        out.add({
          rule: 'claim-denied',
          docKind: onCharge ? 'charge' : 'claim-payment',
          docKey: s.chargeId ?? p.key,
          ...(p.partner ? { partner: p.partner } : {}),
          businessDate: s.serviceDate ?? dayOf(p),
          ...(onCharge ? {} : { line: `${claim.claimId}:${s.procedure.code}` }),
          field: 'paid',
          expected: s.charged.amount,
          actual: s.paid.amount,
          detail: `the payer denied ${onCharge ? `charge ${s.chargeId}` : `procedure ${s.procedure.code} of claim ${claim.claimId}`} (${why}) in remittance ${p.key}`,
        });
      }
    }
  }
}
