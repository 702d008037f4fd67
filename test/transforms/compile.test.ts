import { expect } from 'chai';
import { ConfigError } from '../../lib/errors.js';
import { compilePipeline, TransformConfigError, type StepConfig } from '../../transforms/index.js';
import { dftState, TABLES, thrown } from './support.js';

const deps = { tables: TABLES };
const compile = (steps: StepConfig[]) => thrown(() => compilePipeline(steps, deps));

describe('transforms: compiling', () => {
  it("refuses a syntax error, naming the step path and JSONata's position", () => {
    const err = compile([{ map: { a: '1' } }, { map: { ok: '2', total: '$sum(lines.(qty * price)' } }]);
    expect(err).to.be.instanceOf(ConfigError).and.instanceOf(TransformConfigError);
    expect(err.code).to.equal('invalid-expression');
    expect(err.path).to.deep.equal([1, 'map', 'total']);
    expect(err.position).to.equal(24);
    expect(err.message).to.equal('step 1 (map) total: invalid expression at position 24: Expected ")" before end of expression (S0203)');
  });

  it('gives the path of the failing field for every step kind', () => {
    expect(compile([{ filter: { when: 'a = ', reason: 'r' } }]).path).to.deep.equal([0, 'filter', 'when']);
    expect(compile([{ lookup: { table: 'items', key: '(', into: 'x', onMissing: 'skip' } }]).path).to.deep.equal([0, 'lookup', 'key']);
    expect(compile([{ lookup: { table: 'items', key: 'k', forEach: 'a[', into: 'x', onMissing: 'skip' } }]).path).to.deep.equal([
      0,
      'lookup',
      'forEach',
    ]);
    const v = compile([
      {
        validate: [
          { require: 'true', message: 'm' },
          { require: '"open', message: 'm' },
        ],
      },
    ]);
    expect(v.path).to.deep.equal([0, 'validate', 1, 'require']);
    expect(v.code).to.equal('invalid-expression');
    expect(v.message).to.match(/^step 0 \(validate\) \[1\]\.require: invalid expression at position \d+: /);
  });

  it('refuses a lookup step on a table that is not loaded, listing the known ones', () => {
    const err = compile([{ lookup: { table: 'item', key: 'k', into: 'x', onMissing: 'error' } }]);
    expect(err.code).to.equal('unknown-table');
    expect(err.path).to.deep.equal([0, 'lookup', 'table']);
    expect(err.message).to.equal('step 0 (lookup) table: lookup table "item" is not loaded; known tables: items, uom, locations');
  });

  it('refuses unknown columns and key columns', () => {
    const a = compile([{ lookup: { table: 'items', key: 'k', column: 'charge', into: 'x', onMissing: 'error' } }]);
    expect(a.code).to.equal('unknown-column');
    expect(a.path).to.deep.equal([0, 'lookup', 'column']);
    expect(a.message).to.include('item, charge_code, erp_item, account');
    const b = compile([{ lookup: { table: 'items', key: 'k', keyColumn: 'sku', into: 'x', onMissing: 'error' } }]);
    expect(b.path).to.deep.equal([0, 'lookup', 'keyColumn']);
  });

  it('checks $lookup calls whose table and column are written out', () => {
    const a = compile([{ map: { x: "$lookup('itemz', 'IM-1001')" } }]);
    expect(a.code).to.equal('unknown-table');
    expect(a.path).to.deep.equal([0, 'map', 'x']);
    const b = compile([{ map: { x: "$lookup('items', 'IM-1001', 'price')" } }]);
    expect(b.code).to.equal('unknown-column');
  });

  it('refuses steps that do not have exactly one verb when given unvalidated input', () => {
    const err = compile([{ map: { a: '1' } }, { map: { a: '1' }, filter: { when: 'true', reason: 'r' } } as StepConfig]);
    expect(err.code).to.equal('invalid-step');
    expect(err.path).to.deep.equal([1]);
    const bad = compile([{ route: { to: 'x' } } as unknown as StepConfig]);
    expect(bad.code).to.equal('invalid-step');
    const name = compile([{ map: { '1bad': '1' } }]);
    expect(name.code).to.equal('invalid-step');
    expect(name.path).to.deep.equal([0, 'map', '1bad']);
  });

  it('compiles an empty list into a pipeline that passes everything', async () => {
    const p = compilePipeline([], deps);
    expect(p.steps).to.equal(0);
    const r = await p.run(dftState({ vars: { a: 1 } }));
    expect(r).to.deep.include({ outcome: 'passed' });
    if (r.outcome === 'passed') expect(r.state.vars).to.deep.equal({ a: 1 });
  });
});
