import { expect } from 'chai';
import type { ClaimPayment } from '../../../../model/index.js';
import { claimPayment835 } from '../../../../parsers/x12/sets/index.js';
import { loadSample, setOf } from './x12-text.js';

async function sample(file: string): Promise<ClaimPayment> {
  const x = await loadSample(`835/${file}`);
  const { documents, diagnostics } = claimPayment835.toCanonical(x.sets[0]!);
  expect(diagnostics).to.deep.equal([]);
  return documents[0] as ClaimPayment;
}

const header = ['BPR*I*100*C*ACH************20261203', 'TRN*1*T-1'];
const claim = 'CLP*ACCT1*1*120*100';

/** The one-sentence messages of a set's error-level diagnostics, with their segment and element. */
function errorsOf(lines: string[], version = '005010'): string[] {
  const { documents, diagnostics } = claimPayment835.toCanonical(setOf('835', lines, version));
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) expect(documents).to.deep.equal([]);
  return errors.map((d) => `${d.code} ${d.location?.segment ?? ''}${d.location?.field ?? ''}: ${d.message}`);
}

describe('x12 sets: 835 claim payment', () => {
  it('maps BPR, TRN, the payer and payee, and a claim denied whole with the charge id of each service line', async () => {
    const p = await sample('835-005010.x12');
    expect(p).to.deep.include({ traceNumber: 'LHP-20261204-0007', handling: 'H', total: { amount: '0' }, creditDebit: 'C', method: 'NON' });
    expect(p.paymentDate).to.equal('2026-12-04');
    expect(p.parties!.map((x) => [x.role, x.name])).to.deep.equal([
      ['PR', 'LAKESHORE HEALTH PLAN'],
      ['PE', 'MAIN HOSPITAL'],
    ]);
    const [c] = p.claims;
    expect(c).to.deep.include({ claimId: 'ACCT778899', status: 'denied', statusCode: '4', payerClaimNumber: 'LHP26342000117' });
    expect(c!.services!.map((s) => [s.chargeId, s.charged.amount, s.paid.amount, s.adjustments![0]!.reason])).to.deep.equal([
      ['TX20261121001', '2450', '0', '197'],
      ['TX20261121002', '1380', '0', '197'],
      ['TX20261121003', '640', '0', '197'],
      ['TX20261121004', '910', '0', '197'],
      ['TX20261121005', '380', '0', '197'],
    ]);
    // The patient's name and member id (NM1*QC) are not read.
    expect(JSON.stringify(p)).to.not.match(/ALICE|XYZ000000001/);
  });

  it('maps a partial payment: contractual and patient-responsibility adjustments per line, modifiers, revenue code, units', async () => {
    const p = await sample('835-004010.x12');
    expect(p.total.amount).to.equal('3312.5');
    const [first, second] = p.claims;
    expect(first).to.deep.include({ status: 'processed', statusCode: '1', charged: { amount: '2900' }, paid: { amount: '2412.5' } });
    expect(first!.patientResponsibility).to.deep.equal({ amount: '137.5' });
    expect(first!.services![0]).to.deep.equal({
      procedure: { qualifier: 'HC', code: 'C1776' },
      charged: { amount: '2450' },
      paid: { amount: '2000' },
      revenueCode: '0278',
      units: '1',
      serviceDate: '2026-11-18',
      chargeId: 'TX20261118001',
      adjustments: [
        { group: 'CO', reason: '45', amount: '312.5' },
        { group: 'PR', reason: '1', amount: '137.5' },
      ],
    });
    expect(first!.services![1]!.procedure).to.deep.equal({ qualifier: 'HC', code: 'C1713', modifiers: ['RT'] });
    expect(second).to.deep.include({ status: 'processed', statusCode: '2' });
  });

  it('reads a CAS with several reason/amount/quantity triples', () => {
    const { documents, diagnostics } = claimPayment835.toCanonical(setOf('835', [...header, claim, 'CAS*CO*45*15**253*5*1']));
    expect(diagnostics).to.deep.equal([]);
    expect((documents[0] as ClaimPayment).claims[0]!.adjustments).to.deep.equal([
      { group: 'CO', reason: '45', amount: '15' },
      { group: 'CO', reason: '253', amount: '5', quantity: '1' },
    ]);
  });

  it('reads CLP03 as paid and CLP04 as charged before 003040, and writes them in the 004010 order', () => {
    const set = setOf('835', ['BPR*I*100*C*ACH', 'TRN*1*T-1', 'CLP*ACCT1*1*100*120'], '003030');
    const { documents, diagnostics } = claimPayment835.toCanonical(set);
    expect(diagnostics).to.deep.equal([]);
    const c = (documents[0] as ClaimPayment).claims[0]!;
    expect([c.charged.amount, c.paid.amount]).to.deep.equal(['120', '100']);
    const body = claimPayment835.fromCanonical(documents[0]!, { version: '004010' });
    expect(body.find((s) => s[0] === 'CLP')).to.deep.equal(['CLP', 'ACCT1', '1', '120', '100']);
  });

  it('writes SVC01 with the component separator of the interchange it goes into', () => {
    const { documents } = claimPayment835.toCanonical(setOf('835', [...header, claim, 'SVC*HC:C1776:RT*120*100', 'REF*6R*TX1']));
    const body = claimPayment835.fromCanonical(documents[0]!, { version: '005010', component: '>' });
    expect(body.find((s) => s[0] === 'SVC')).to.deep.equal(['SVC', 'HC>C1776>RT', '120', '100']);
    expect(body.find((s) => s[0] === 'REF')).to.deep.equal(['REF', '6R', 'TX1']);
  });

  it('answers malformed input with one sentence naming the segment and element', () => {
    expect(errorsOf(['TRN*1*T-1', claim])).to.deep.equal([
      'x12-segment-missing ST: BPR is missing; expected the payment: amount, credit/debit, method and date',
    ]);
    expect(errorsOf([...header, 'CLP*ACCT1*1*120'])).to.deep.equal([
      'x12-element-missing CLP4: CLP04 is empty; expected the amount paid on the claim',
    ]);
    expect(errorsOf(['BPR*I*12,50*C*ACH', 'TRN*1*T-1', claim])).to.deep.equal([
      'x12-element-invalid-number BPR2: BPR02 is "12,50"; expected the total payment amount as a number',
    ]);
    expect(errorsOf(['BPR*I*100*X*ACH', 'TRN*1*T-1', claim])).to.deep.equal([
      'x12-element-invalid-code BPR3: BPR03 is "X"; expected C (credit) or D (debit)',
    ]);
    expect(errorsOf([...header, claim, 'SVC*HC*120*100'])).to.deep.equal([
      'x12-element-missing SVC1: SVC01 is "HC"; expected a product/service id qualifier and a code (SVC01-1, SVC01-2)',
    ]);
    expect(errorsOf([...header, claim, 'CAS*CO**15'])).to.deep.equal([
      'x12-element-missing CAS2: CAS02 is empty; expected a claim adjustment reason code',
    ]);
    expect(errorsOf([...header])).to.deep.equal(['x12-segment-missing ST: CLP is missing; expected at least one claim']);
  });
});
