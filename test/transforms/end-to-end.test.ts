import { expect } from 'chai';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  bodySchema,
  compileBody,
  compileCondition,
  compilePipeline,
  conditionSchema,
  stepSchema,
  type PipelineState,
} from '../../transforms/index.js';
import { dftState, rejection, TABLES } from './support.js';

/** The mapping of an OR usage channel as an analyst writes it: DFT^P03 usage → ERP goods issue. */
const CHANNEL_YAML = `
steps:
  - filter:
      when: $doc('supply-usage')
      reason: no supply usage in this message
  - validate:
      - require: $doc('encounter').accountNumber
        message: the encounter has no account number
      - require: $count($doc('supply-usage').lines) > 0
        message: the usage event has no lines
      - require: $count($doc('supply-usage').lines[$number(quantity.value) <= 0]) = 0
        message: every usage line needs a positive quantity
  - map:
      usage: $doc('supply-usage')
  - lookup:
      table: locations
      key: vars.usage.location
      into: location
      onMissing: error
  - lookup:
      table: items
      forEach: vars.usage.lines
      key: itemNumber
      into: items
      onMissing: error
  - lookup:
      table: uom
      forEach: vars.usage.lines
      key: quantity.unit
      into: units
      onMissing: default
      default: { erp_unit: EA, factor: "1" }
  - map:
      erp: |
        {
          "documentType": "goods-issue",
          "reference": meta.controlId,
          "postingDate": $substring(vars.usage.occurredAt, 0, 10),
          "location": vars.location.erp_location,
          "costCenter": vars.location.cost_center,
          "patientAccount": vars.usage.accountNumber,
          "lines": [$map(vars.usage.lines, function($l, $i) {
            {
              "line": $l.line,
              "itemNumber": $vars.items[$i].erp_item,
              "quantity": $number($l.quantity.value) * $number($vars.units[$i].factor),
              "unit": $vars.units[$i].erp_unit,
              "account": $vars.items[$i].account,
              "chargeCode": $vars.items[$i].charge_code,
              "lot": $l.lot,
              "serial": $l.serial
            }
          })]
        }
routes:
  erp:
    when: $count(vars.erp.lines) > 0
    body:
      json: vars.erp
      headers:
        Idempotency-Key: meta.messageId & ':erp'
      path: "'/goods-issues/' & meta.controlId"
`;

const Channel = z.strictObject({
  steps: z.array(stepSchema),
  routes: z.record(z.string(), z.strictObject({ when: conditionSchema, body: bodySchema })),
});

describe('transforms: end to end, DFT^P03 usage to ERP goods issue', () => {
  const config = Channel.parse(parse(CHANNEL_YAML));
  const pipeline = compilePipeline(config.steps, { tables: TABLES });
  const route = config.routes.erp!;
  const body = compileBody(route.body, { tables: TABLES });
  const when = compileCondition(route.when, { tables: TABLES });

  async function deliver(state: PipelineState) {
    const result = await pipeline.run(state);
    if (result.outcome !== 'passed') throw new Error(`expected passed, got ${result.outcome}`);
    expect(await when(result.state)).to.equal(true);
    return body(result.state);
  }

  it('builds the ERP JSON: item numbers, converted quantities, units, accounts, location, charge codes', async () => {
    const payload = await deliver(dftState());
    expect(payload.contentType).to.equal('application/json');
    expect(payload.headers).to.deep.equal({ 'Idempotency-Key': '01JD3K8Q5VZ:erp' });
    expect(payload.path).to.equal('/goods-issues/MSG00042');
    expect(JSON.parse(payload.body)).to.deep.equal({
      documentType: 'goods-issue',
      reference: 'MSG00042',
      postingDate: '2026-11-20',
      location: 'MAIN-OR',
      costCenter: 'CC4410',
      patientAccount: 'ACC-778812',
      lines: [
        { line: 1, itemNumber: '100045', quantity: 20, unit: 'EA', account: '510200', chargeCode: 'CHG-278', lot: 'L2291' },
        { line: 2, itemNumber: '100046', quantity: 1, unit: 'EA', account: '510300', chargeCode: 'CHG-272', serial: 'SN-88' },
      ],
    });
  });

  it('keeps a single usage line an array in the ERP JSON, and defaults an unknown unit to EA × 1', async () => {
    const state = dftState();
    const usage = state.canonical[1] as { lines: { quantity: { value: string; unit?: string } }[] };
    usage.lines = [{ ...usage.lines[1]!, quantity: { value: '3', unit: 'XX' } }] as typeof usage.lines;
    const doc = JSON.parse((await deliver(state)).body);
    expect(doc.lines).to.deep.equal([
      { line: 2, itemNumber: '100046', quantity: 3, unit: 'EA', account: '510300', chargeCode: 'CHG-272', serial: 'SN-88' },
    ]);
  });

  it('does not fire the route when the mapping produced no lines', async () => {
    expect(await when({ ...dftState(), vars: { erp: { lines: [] } } })).to.equal(false);
  });

  it('filters a message that carries no supply usage', async () => {
    const state = dftState({ canonical: dftState().canonical.filter((d) => d.kind !== 'supply-usage') });
    expect(await pipeline.run(state)).to.deep.equal({ outcome: 'filtered', reason: 'no supply usage in this message', step: 0 });
  });

  it('fails validation for a missing account and a zero quantity, reporting both', async () => {
    const state = dftState();
    delete (state.canonical[0] as { accountNumber?: string }).accountNumber;
    (state.canonical[1] as { lines: { quantity: { value: string } }[] }).lines[0]!.quantity.value = '0';
    const err = await rejection(pipeline.run(state));
    expect(err.code).to.equal('validation-failed');
    expect(err.failures).to.deep.equal(['the encounter has no account number', 'every usage line needs a positive quantity']);
  });

  it('sends an unknown item to the exception queue with a lookup-missing error naming the item code', async () => {
    const state = dftState();
    (state.canonical[1] as { lines: { itemNumber: string }[] }).lines[1]!.itemNumber = 'IM-9999';
    const err = await rejection(pipeline.run(state));
    expect(err.code).to.equal('lookup-missing');
    expect(err.message).to.equal('step 4 (lookup) key (item 2): the key "IM-9999" is not in table "items"');
  });

  it('runs many messages concurrently without mixing their state', async () => {
    const states = Array.from({ length: 20 }, (_, i) => {
      const s = dftState();
      s.meta = { ...s.meta, controlId: `MSG${i}`, messageId: `id-${i}` };
      return s;
    });
    const payloads = await Promise.all(states.map(deliver));
    payloads.forEach((p, i) => {
      expect(JSON.parse(p.body).reference).to.equal(`MSG${i}`);
      expect(p.headers!['Idempotency-Key']).to.equal(`id-${i}:erp`);
    });
  });
});
