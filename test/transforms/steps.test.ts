import { expect } from 'chai';
import { MappingError } from '../../lib/errors.js';
import { compilePipeline, TransformMappingError, type StepConfig } from '../../transforms/index.js';
import { dftState, rejection, TABLES } from './support.js';

const deps = { tables: TABLES };

describe('transforms: steps', () => {
  describe('filter', () => {
    it('lets a message through when the condition is truthy', async () => {
      const p = compilePipeline([{ filter: { when: "meta.messageType = 'DFT^P03'", reason: 'not a charge' } }], deps);
      const r = await p.run(dftState());
      expect(r.outcome).to.equal('passed');
    });

    it('stops the message with its reason and step index when the condition is falsy', async () => {
      const p = compilePipeline(
        [
          { map: { seen: 'true' } },
          { filter: { when: "$doc('encounter').patientClass = 'I'", reason: 'outpatient usage is billed elsewhere' } },
          { map: { after: '1' } },
        ],
        deps,
      );
      const r = await p.run(dftState());
      expect(r).to.deep.equal({ outcome: 'filtered', reason: 'outpatient usage is billed elsewhere', step: 1 });
    });

    it('treats empty strings, empty arrays, zero and missing paths as falsy', async () => {
      for (const when of ["''", '[]', '0', 'message.ZZZ', 'canonical[kind="invoice"]', '{}']) {
        const r = await compilePipeline([{ filter: { when, reason: 'r' } }], deps).run(dftState());
        expect(r.outcome, when).to.equal('filtered');
      }
      for (const when of ["'x'", '[0, 1]', '1', 'message.MSH', '{"a": 1}']) {
        const r = await compilePipeline([{ filter: { when, reason: 'r' } }], deps).run(dftState());
        expect(r.outcome, when).to.equal('passed');
      }
    });
  });

  describe('map', () => {
    it("sets variables in order, later entries seeing earlier ones, without touching the caller's vars", async () => {
      const p = compilePipeline(
        [
          { map: { usage: "$doc('supply-usage')", lineCount: '$count(vars.usage.lines)' } },
          { map: { label: "meta.channel & '/' & $string(vars.lineCount)", fromVariable: '$vars.lineCount * 2' } },
        ],
        deps,
      );
      const input = dftState({ vars: { preset: 'kept' } });
      const r = await p.run(input);
      if (r.outcome !== 'passed') throw new Error('expected passed');
      expect(r.state.vars.lineCount).to.equal(2);
      expect(r.state.vars.label).to.equal('or-usage/2');
      expect(r.state.vars.fromVariable).to.equal(4);
      expect(r.state.vars.preset).to.equal('kept');
      expect(input.vars).to.deep.equal({ preset: 'kept' });
    });

    it('leaves a variable unset when its expression has no value', async () => {
      const r = await compilePipeline([{ map: { gone: 'message.NOPE', there: '"x"' } }], deps).run(dftState({ vars: { gone: 'old' } }));
      if (r.outcome !== 'passed') throw new Error('expected passed');
      expect(r.state.vars).to.not.have.property('gone');
      expect(r.state.vars.there).to.equal('x');
    });

    it('stores plain JSON copies: sequences become arrays', async () => {
      const r = await compilePipeline([{ map: { items: "$doc('supply-usage').lines.itemNumber" } }], deps).run(dftState());
      if (r.outcome !== 'passed') throw new Error('expected passed');
      expect(r.state.vars.items).to.deep.equal(['IM-1001', 'IM-2002']);
      expect(JSON.stringify(r.state.vars.items)).to.equal('["IM-1001","IM-2002"]');
      expect(Object.keys(r.state.vars.items as object)).to.deep.equal(['0', '1']);
    });

    it('fails with the step index, kind and variable when an expression fails, without the value', async () => {
      const p = compilePipeline([{ map: { ok: '1' } }, { map: { qty: "$number($doc('encounter').accountNumber)" } }], deps);
      const err = await rejection(p.run(dftState()));
      expect(err).to.be.instanceOf(MappingError).and.instanceOf(TransformMappingError);
      expect(err.code).to.equal('expression-failed');
      expect(err.message).to.match(/^step 1 \(map\) vars\.qty: /);
      expect(err.message).to.include('D3030');
      expect(err.message).to.not.include('ACC-778812');
      expect(err.step).to.equal(1);
      expect(err.kind).to.equal('map');
    });
  });

  describe('lookup', () => {
    const run = async (step: StepConfig, state = dftState()) => {
      const r = await compilePipeline([step], deps).run(state);
      if (r.outcome !== 'passed') throw new Error('expected passed');
      return r.state.vars;
    };

    it('finds a whole row by the first column', async () => {
      const vars = await run({
        lookup: { table: 'items', key: "$doc('supply-usage').lines[0].itemNumber", into: 'item', onMissing: 'error' },
      });
      expect(vars.item).to.deep.equal({ item: 'IM-1001', charge_code: 'CHG-278', erp_item: '100045', account: '510200' });
    });

    it('returns one column, and matches on another key column when asked', async () => {
      const a = await run({ lookup: { table: 'items', key: "'IM-2002'", column: 'erp_item', into: 'erp', onMissing: 'error' } });
      expect(a.erp).to.equal('100046');
      const b = await run({
        lookup: { table: 'items', keyColumn: 'erp_item', key: '100047', column: 'item', into: 'back', onMissing: 'error' },
      });
      expect(b.back).to.equal('IM-3003');
    });

    it('fails a miss with onMissing: error, naming the table and the code', async () => {
      const err = await rejection(
        compilePipeline([{ lookup: { table: 'items', key: "'IM-0000'", into: 'x', onMissing: 'error' } }], deps).run(dftState()),
      );
      expect(err.code).to.equal('lookup-missing');
      expect(err.message).to.equal('step 0 (lookup) key: the key "IM-0000" is not in table "items"');
    });

    it('treats an absent key as a miss', async () => {
      const err = await rejection(
        compilePipeline([{ lookup: { table: 'items', key: 'message.NOPE', into: 'x', onMissing: 'error' } }], deps).run(dftState()),
      );
      expect(err.code).to.equal('lookup-missing');
      expect(err.message).to.include('the key is empty');
    });

    it('skips a miss (variable unset) with onMissing: skip', async () => {
      const vars = await run({ lookup: { table: 'items', key: "'nope'", into: 'x', onMissing: 'skip' } }, dftState({ vars: { x: 'old' } }));
      expect(vars).to.not.have.property('x');
    });

    it('uses the default with onMissing: default, as a fresh copy', async () => {
      const step: StepConfig = {
        lookup: { table: 'uom', key: "'ZZ'", into: 'u', onMissing: 'default', default: { erp_unit: 'EA', factor: '1' } },
      };
      const p = compilePipeline([step, { map: { mutated: "vars.u ~> | $ | {'factor': '9'} |" } }], deps);
      const r1 = await p.run(dftState());
      const r2 = await p.run(dftState());
      if (r1.outcome !== 'passed' || r2.outcome !== 'passed') throw new Error('expected passed');
      expect(r1.state.vars.u).to.deep.equal({ erp_unit: 'EA', factor: '1' });
      expect(r2.state.vars.u).to.not.equal(r1.state.vars.u);
      expect(r1.state.vars.mutated).to.deep.equal({ erp_unit: 'EA', factor: '9' });
    });

    it('looks up each item with forEach, results aligned with the items', async () => {
      const vars = await run({
        lookup: {
          table: 'items',
          forEach: "$doc('supply-usage').lines",
          key: 'itemNumber',
          column: 'charge_code',
          into: 'charges',
          onMissing: 'error',
        },
      });
      expect(vars.charges).to.deep.equal(['CHG-278', 'CHG-272']);
    });

    it('forEach keeps positions with skip (null) and names the failing item with error', async () => {
      const state = dftState();
      const usage = state.canonical[1] as { lines: { itemNumber: string }[] };
      usage.lines[0]!.itemNumber = 'IM-UNKNOWN';
      const vars = await run(
        {
          lookup: {
            table: 'items',
            forEach: "$doc('supply-usage').lines",
            key: '$item.itemNumber',
            column: 'erp_item',
            into: 'erp',
            onMissing: 'skip',
          },
        },
        state,
      );
      expect(vars.erp).to.deep.equal([null, '100046']);
      const err = await rejection(
        compilePipeline(
          [{ lookup: { table: 'items', forEach: "$doc('supply-usage').lines", key: 'itemNumber', into: 'erp', onMissing: 'error' } }],
          deps,
        ).run(state),
      );
      expect(err.code).to.equal('lookup-missing');
      expect(err.message).to.include('(item 1)').and.include('"IM-UNKNOWN"');
    });

    it('forEach over nothing gives an empty array; over a single value, a one-item array', async () => {
      const none = await run({ lookup: { table: 'uom', forEach: 'message.NOPE', key: '$', into: 'u', onMissing: 'error' } });
      expect(none.u).to.deep.equal([]);
      const one = await run({ lookup: { table: 'uom', forEach: "'BX'", key: '$', column: 'factor', into: 'u', onMissing: 'error' } });
      expect(one.u).to.deep.equal(['10']);
    });

    it('crosswalks units of measure (BX → EA × 10) per usage line', async () => {
      const p = compilePipeline(
        [
          { lookup: { table: 'uom', forEach: "$doc('supply-usage').lines", key: 'quantity.unit', into: 'uom', onMissing: 'error' } },
          {
            map: {
              quantities: `$map($doc('supply-usage').lines, function($l, $i) {
                { "item": $l.itemNumber, "quantity": $number($l.quantity.value) * $number($vars.uom[$i].factor), "unit": $vars.uom[$i].erp_unit }
              })`,
            },
          },
        ],
        deps,
      );
      const r = await p.run(dftState());
      if (r.outcome !== 'passed') throw new Error('expected passed');
      expect(r.state.vars.quantities).to.deep.equal([
        { item: 'IM-1001', quantity: 20, unit: 'EA' },
        { item: 'IM-2002', quantity: 1, unit: 'EA' },
      ]);
    });

    it('refuses keys that are objects or arrays', async () => {
      const err = await rejection(
        compilePipeline([{ lookup: { table: 'items', key: "$doc('supply-usage').lines", into: 'x', onMissing: 'skip' } }], deps).run(
          dftState(),
        ),
      );
      expect(err.code).to.equal('invalid-lookup-key');
      expect(err.message).to.include('an array of 2');
    });

    it('accepts numbers as keys', async () => {
      const vars = await run({
        lookup: { table: 'items', keyColumn: 'erp_item', key: '100045', column: 'item', into: 'i', onMissing: 'error' },
      });
      expect(vars.i).to.equal('IM-1001');
    });
  });

  describe('validate', () => {
    const rules: StepConfig = {
      validate: [
        { require: "$doc('encounter').accountNumber", message: 'the encounter has no account number' },
        { require: "$count($doc('supply-usage').lines) > 5", message: 'at least six usage lines are expected' },
        { require: "$doc('supply-usage').lines.quantity.unit = 'CS'", message: 'quantities must be in cases' },
        { require: 'meta.controlId', message: 'MSH-10 is missing' },
      ],
    };

    it('passes when every rule holds', async () => {
      const r = await compilePipeline([{ validate: [{ require: 'meta.controlId', message: 'MSH-10 is missing' }] }], deps).run(dftState());
      expect(r.outcome).to.equal('passed');
    });

    it('collects every failed rule into one validation-failed error', async () => {
      const err = await rejection(compilePipeline([{ map: { a: '1' } }, rules], deps).run(dftState()));
      expect(err).to.be.instanceOf(MappingError);
      expect(err.code).to.equal('validation-failed');
      expect(err.failures).to.deep.equal(['at least six usage lines are expected', 'quantities must be in cases']);
      expect(err.message).to.equal('step 1 (validate): 2 rules failed: at least six usage lines are expected; quantities must be in cases');
    });

    it('with forEach, checks each item and names the first that fails: forEach[index].field and its value', async () => {
      const perLine: StepConfig = {
        validate: [
          {
            forEach: "$doc('supply-usage').lines",
            require: '$number(quantity.value) <= $vars.limits[$index]',
            rule: 'quantity-over-limit',
            field: 'quantity.value',
            message: 'a line uses more than its limit',
          },
        ],
      };
      const passing = await compilePipeline([{ map: { limits: '[2, 5]' } }, perLine], deps).run(dftState());
      expect(passing.outcome).to.equal('passed');
      const err = await rejection(compilePipeline([{ map: { limits: '[2, 0]' } }, perLine], deps).run(dftState()));
      expect(err.code).to.equal('validation-failed');
      expect(err.failures).to.deep.equal(['a line uses more than its limit']);
      const line2 = (dftState().canonical as any[]).find((d) => d.kind === 'supply-usage').lines[1].quantity.value;
      expect(err.exception).to.deep.equal({
        rule: 'quantity-over-limit',
        field: "$doc('supply-usage').lines[1].quantity.value",
        value: line2,
      });
    });
  });
});
