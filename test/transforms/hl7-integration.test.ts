import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { hl7v2 } from '../../parsers/hl7v2/index.js';
import { compileBody, compilePipeline, type PipelineState, type StepConfig } from '../../transforms/index.js';
import { rejection, table } from './support.js';

/** The real parser's output for the hip-implant sample, as the engine hands it to the pipeline. */
function sampleState(): PipelineState {
  const raw = readFileSync(new URL('../../samples/hl7/dft-p03-hip-implant.hl7', import.meta.url));
  const { message } = hl7v2.parse(raw);
  if (!message) throw new Error('the sample did not parse');
  const header = hl7v2.header(message);
  return {
    message: hl7v2.toTree(message),
    canonical: hl7v2.toCanonical(message).documents,
    meta: {
      channel: 'or-implants',
      messageId: 'm-0001',
      controlId: header.controlId,
      sender: header.sender,
      messageType: header.messageType,
      receivedAt: '2026-11-21T19:30:06Z',
    },
    vars: {},
    raw,
  };
}

const tables = {
  chargemaster: table(`
item,charge_code,gl_account
100234,C-IMP-0101,141000
100567,C-IMP-0102,141000
100890,C-IMP-0103,141000
100912,C-IMP-0104,141000
200145,C-SUP-0200,520100
`),
};

const steps: StepConfig[] = [
  { filter: { when: "message.MSH.MSH_9.MSH_9_1 = 'DFT' and message.MSH.MSH_9.MSH_9_2 = 'P03'", reason: 'only DFT^P03 usage' } },
  { lookup: { table: 'chargemaster', forEach: "$doc('supply-usage').lines", key: 'itemNumber', into: 'cm', onMissing: 'error' } },
  {
    map: {
      manufacturer: 'message.ZIM[0].ZIM_7.ZIM_7_1',
      erp: `{
        "reference": meta.controlId,
        "lines": [$map($doc('supply-usage').lines, function($l, $i) {
          { "item": $l.itemNumber, "qty": $number($l.quantity.value), "unit": $l.quantity.unit,
            "chargeCode": $vars.cm[$i].charge_code, "account": $vars.cm[$i].gl_account,
            "serial": $l.serial }
        })]
      }`,
    },
  },
];

describe('transforms: with the real HL7 v2 parser (hip implant DFT^P03 sample)', () => {
  it('maps the parsed tree and canonical usage to ERP lines with charge codes from the table', async () => {
    const r = await compilePipeline(steps, { tables }).run(sampleState());
    if (r.outcome !== 'passed') throw new Error('expected passed');
    expect(r.state.vars.manufacturer).to.equal('FICTIONAL ORTHO INC');
    const erp = r.state.vars.erp as { reference: string; lines: Record<string, unknown>[] };
    expect(erp.reference).to.equal('OR20261121-0042');
    expect(erp.lines.map((l) => [l.item, l.qty, l.chargeCode, l.account])).to.deep.equal([
      ['100234', 1, 'C-IMP-0101', '141000'],
      ['100567', 1, 'C-IMP-0102', '141000'],
      ['100890', 1, 'C-IMP-0103', '141000'],
      ['100912', 1, 'C-IMP-0104', '141000'],
      ['200145', 2, 'C-SUP-0200', '520100'],
    ]);
    expect(erp.lines[2]).to.not.have.property('serial');
  });

  it('forwards the original latin1 bytes unchanged with a raw body', async () => {
    const state = sampleState();
    const payload = await compileBody({ raw: true, charset: 'latin1', contentType: 'x-application/hl7-v2+er7' }, { tables })(state);
    expect(Buffer.from(payload.body, 'latin1').equals(state.raw as Buffer)).to.equal(true);
  });

  it('keeps patient identifiers out of a failure on this message', async () => {
    const state = sampleState();
    const failing: StepConfig[] = [
      { map: { n: '$number(message.PID.PID_5.PID_5_1)' } },
      { map: { m: '$number(message.PID.PID_3[0].PID_3_1)' } },
    ];
    const err = await rejection(compilePipeline(failing, { tables }).run(state));
    expect(err.code).to.equal('expression-failed');
    expect(err.message).to.not.include('FICTIONAL').and.not.include('MRN0012345');
  });
});
