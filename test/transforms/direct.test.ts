import { expect } from 'chai';
import jsonata from 'jsonata';
import { compileDirect, UNDECIDED } from '../../transforms/direct.js';
import { compileContext, compileExpression } from '../../transforms/expression.js';
import { fastPathOf, UNDECIDED as FAST_UNDECIDED } from '../../transforms/fast-path.js';
import { toJsonValue } from '../../transforms/json-value.js';
import type { PipelineState } from '../../transforms/index.js';
import { dftState, outcome, TABLES } from './support.js';

// The shortcuts (transforms/direct.ts, transforms/fast-path.ts) must give JSONata's answer or none.
// Each case runs twice: with the default limits (shortcuts on) and with maxDepth 399, below which
// the direct evaluator is off, so JSONata answers. Values and error codes must be the same.

const site = { kind: 'map', field: 'vars.out' };
const on = compileContext({ tables: TABLES, limits: { timeoutMs: 300 } });
const off = compileContext({ tables: TABLES, limits: { timeoutMs: 300, maxDepth: 399 } });

function state(vars: Record<string, unknown>): PipelineState {
  return dftState({ vars });
}

const BODY = `(
  $u := $doc('supply-usage');
  {
    "reference": meta.controlId,
    "account": $u.accountNumber,
    "lines": [$map($u.lines, function($l, $i) {
      {
        "item": $l.itemNumber,
        "quantity": $number($l.quantity.value) * $number($vars.units[$i].factor),
        "unit": $vars.units[$i].erp_unit,
        "missing": $l.nothing
      }
    })]
  }
)`;

const VARS = {
  units: [
    { erp_unit: 'EA', factor: '10' },
    { erp_unit: 'EA', factor: '1' },
  ],
  one: [{ a: 1 }],
  none: [],
  nested: [[1, 2], [3]],
  obj: { a: { b: 'x' }, n: null, list: [1, 2], t: true },
  text: 'abc',
  n: 3,
  idx: '1',
};

const CASES: string[] = [
  BODY,
  "$doc('supply-usage').lines",
  "$exists($doc('supply-usage').accountNumber)",
  "$exists($doc('nothing'))",
  "$exists($doc('supply-usage').nothing)",
  "meta.messageType = 'DFT^P03'",
  "meta.messageType != 'DFT^P03'",
  "meta.nothing = 'x'",
  'vars.n = 3',
  'vars.obj = vars.obj',
  '$vars.units[0].factor',
  '$vars.units[-1].factor',
  '$vars.units[1.7].erp_unit',
  '$vars.units[5].factor',
  '$vars.units[$vars.idx].factor',
  '$vars.units[$vars.n - 2].factor',
  '$vars.units[$vars.missing].factor',
  '$vars.units.factor',
  '$vars.obj.a.b',
  '$vars.obj.n',
  '$vars.obj.n.x',
  '$vars.obj.list',
  '$vars.none',
  '$map($vars.units, function($u) { $u.factor })',
  '$map($vars.one, function($o, $i) { $o.a + $i })',
  '$map($vars.none, function($o) { $o })',
  '$map($vars.obj, function($o) { $o })',
  '$map($vars.units, function($u, $i, $all) { $i })',
  '[$map($vars.one, function($o) { $o.a })]',
  '[$vars.nested, [$vars.nested], 1, "x", $vars.missing]',
  '{"a": $vars.missing, "b": null, "c": [$vars.obj.list], "d": $vars.obj.t, "e": -1.5}',
  '$number("12.5") * 2',
  '$number("abc")',
  '$number("0x1F")',
  '$number("1e999")',
  '$number(true)',
  '$number($vars.missing) * 2',
  '"a" * 2',
  '1 / 0',
  '7 % 3 - 1 + 2 / 4',
  '($x := 2; ($x := 3); $x)',
  '($f := function($n) { $n * 2 }; $f(4))',
  '($f := function($n) { $f($n) }; $f(1))',
  '($map := function($a, $b) { 42 }; $map([1], function($x) { $x }))',
  '{"f": function($x) { $x }}',
  '($canonical := []; $doc("encounter").accountNumber)',
  '$doc(1)',
  '$',
  '$.vars.n',
  'vars.text.length',
  '{"a": 1, "a": 2}',
  '$nothing',
  '$map($vars.units, function() { 5 })',
  '$map($vars.units, function($a, $b, $c, $d) { [$exists($c), $exists($d)] })',
  '()',
  '[]',
  '{}',
  '[[]]',
  '{"x": []}',
  '{"x": [$vars.none]}',
  '($u := $doc("supply-usage"); $u.lines[0].quantity.unit)',
  '$doc("supply-usage").lines[1].itemNumber',
  '$vars.obj.a',
  '$vars.obj',
];

describe("transforms: the direct evaluator gives JSONata's results", () => {
  for (const source of CASES) {
    it(source.length > 60 ? `${source.replace(/\s+/g, ' ').slice(0, 60)}…` : source, async () => {
      const s = state(VARS);
      const fast = await outcome(() => compileExpression(source, [], on).evaluate(s, site));
      const slow = await outcome(() => compileExpression(source, [], off).evaluate(s, site));
      expect(fast).to.deep.equal(slow);
    });
  }

  it('takes the shipped body and a forEach key without JSONata (and gives its answer)', () => {
    const direct = compileDirect(jsonata(BODY).ast(), on.limits)!;
    expect(direct).to.be.a('function');
    const s = state(VARS);
    const bindings = { message: s.message, canonical: s.canonical, meta: s.meta, vars: s.vars };
    const value = toJsonValue(direct(s, { bindings, state: s }), site, 1000) as { lines: { quantity: number }[] };
    expect(value.lines.map((l) => l.quantity)).to.deep.equal([20, 1]);
  });

  it('decides the common cases itself (the comparisons above are not all JSONata against JSONata)', () => {
    const s = state(VARS);
    const scope = { bindings: { message: s.message, canonical: s.canonical, meta: s.meta, vars: s.vars }, state: s };
    const view = { message: s.message, canonical: s.canonical, meta: s.meta, vars: s.vars };
    const decided = [
      '$doc("supply-usage").lines[1].itemNumber',
      '$map($vars.units, function() { 5 })',
      '{"x": []}',
      '($x := 2; ($x := 3); $x)',
      "meta.messageType = 'DFT^P03'",
      '$vars.units[-1].factor',
      '$number("12.5") * 2',
    ];
    for (const source of decided) {
      const direct = compileDirect(jsonata(source).ast(), on.limits);
      expect(direct, source).to.be.a('function');
      expect(direct!(view, scope), source).to.not.equal(UNDECIDED);
    }
  });

  it('binds the variables a forEach passes ($item, $index)', async () => {
    const s = state(VARS);
    const options = { focus: { q: 2 }, variables: { item: { q: 2 }, index: 1 } };
    for (const source of ['q * 10 + $index', '$item.q', '{"i": $index, "q": q}']) {
      const fast = await outcome(() => compileExpression(source, [], on).evaluate(s, site, options));
      const slow = await outcome(() => compileExpression(source, [], off).evaluate(s, site, options));
      expect(fast, source).to.deep.equal(slow);
    }
  });

  it('answers UNDECIDED for what it does not handle, and compiles nothing outside its subset', () => {
    const limits = on.limits;
    const s = state(VARS);
    const scope = { bindings: { vars: s.vars }, state: s };
    const input = { a: [{ b: 1 }], b: 1, c: 'x' };
    for (const source of ['a & b', 'a[b]', 'a[$]', 'a.b{c: d}', 'a^(b)', '$lookup("items", "x")', '$string(a)', 'b < c', '**', 'a.b.c']) {
      const direct = compileDirect(jsonata(source).ast(), limits);
      if (direct) expect(direct(input, scope), source).to.equal(UNDECIDED);
    }
    // An array's boolean cast is its one item's (an object with a key: true), as JSONata casts it.
    expect(compileDirect(jsonata('a ? b : c').ast(), limits)!(input, scope)).to.equal(1);
    expect(compileDirect(jsonata('$count(a) and a').ast(), limits)!(input, scope)).to.equal(true);
    expect(compileDirect(jsonata('a and b').ast(), limits)!(input, scope)).to.equal(true);
    // A name after an empty array: no value, as in JSONata.
    expect(compileDirect(jsonata('$vars.none.factor').ast(), limits)!(input, scope)).to.equal(undefined);
    const path = compileDirect(jsonata('a.b').ast(), limits)!;
    expect(path([{ a: { b: 1 } }], scope)).to.equal(UNDECIDED);
    expect(path({ a: [{ b: 1 }, { c: 2 }] }, scope)).to.equal(1);
    expect(path({ a: [{ b: [1] }] }, scope)).to.equal(UNDECIDED);
    expect(path({ a: { b: 1 } }, scope)).to.equal(1);
    expect(compileDirect(jsonata('a.b').ast(), { ...limits, maxDepth: 50 })).to.equal(undefined);
  });
});

describe("transforms: the field-path shortcut gives JSONata's results", () => {
  const inputs: unknown[] = [
    { itemNumber: 'A1', quantity: { value: '2', unit: 'BX' } },
    { itemNumber: null, quantity: null },
    { quantity: { unit: ['EA', 'BX'] } },
    { quantity: { unit: { x: 1 } } },
    { quantity: [{ unit: 'EA' }, { unit: 'BX' }] },
    JSON.parse('{"__proto__": {"unit": "EA"}, "itemNumber": 5}'),
    Object.create({ itemNumber: 'inherited' }),
    [{ itemNumber: 'in an array' }],
    'text',
    undefined,
    { itemNumber: 1.5e300 },
  ];
  for (const source of ['itemNumber', 'quantity.unit', 'toString', '__proto__.unit', 'constructor']) {
    it(source, async () => {
      const fast = fastPathOf(jsonata(source).ast())!;
      expect(fast).to.be.a('function');
      for (const input of inputs) {
        const mine = fast(input);
        if (mine === FAST_UNDECIDED) continue;
        const theirs = toJsonValue(await jsonata(source).evaluate(input), site, 1000);
        expect(mine, `${source} over ${JSON.stringify(input)}`).to.deep.equal(theirs);
      }
    });
  }

  it('is not used for anything but names', () => {
    for (const source of ['a[0]', '$.a', 'a.$x', 'a[]', 'a#$i.b', 'a@$x', '*', '1', '"a"', 'a.b{x: 1}']) {
      expect(fastPathOf(jsonata(source).ast()), source).to.equal(undefined);
    }
  });
});
