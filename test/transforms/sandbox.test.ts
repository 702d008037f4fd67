import { expect } from 'chai';
import { compilePipeline, compileCondition, type StepConfig } from '../../transforms/index.js';
import { dftState, rejection, TABLES, thrown } from './support.js';

const deps = { tables: TABLES, limits: { timeoutMs: 300 } };
const evaluate = async (expr: string) => {
  const r = await compilePipeline([{ map: { out: expr } }], deps).run(dftState());
  if (r.outcome !== 'passed') throw new Error('expected passed');
  return r.state.vars.out;
};
const failure = (expr: string) => rejection(compilePipeline([{ map: { out: expr } }], deps).run(dftState()));

describe('transforms: sandbox and guard rails', () => {
  it('refuses $eval at compile time, however it is reached', () => {
    for (const expr of ['$eval("1 + 1")', '($e := $eval; $e("1"))', "'1' ~> $eval", 'message[$eval("true")]']) {
      const err = thrown(() => compilePipeline([{ map: { out: expr } }], deps));
      expect(err.code, expr).to.equal('unsafe-expression');
      expect(err.path).to.deep.equal([0, 'map', 'out']);
    }
  });

  it('cannot reach constructors, prototypes or Node globals', async () => {
    expect(await evaluate('message.constructor')).to.equal(undefined);
    expect(await evaluate('message.__proto__')).to.equal(undefined);
    expect(await evaluate("$lookup('items', 'constructor')")).to.equal(undefined);
    expect(await evaluate("$lookup('items', '__proto__')")).to.equal(undefined);
    expect(await evaluate('$process')).to.equal(undefined);
    expect(await evaluate('$require')).to.equal(undefined);
    expect(await evaluate('$globalThis')).to.equal(undefined);
    const err = await failure('$string.constructor("return process")()');
    expect(err.code).to.equal('expression-failed');
  });

  it('cannot read or replace the state slot the helpers use', async () => {
    expect(await evaluate("$doc('encounter').accountNumber")).to.equal('ACC-778812');
    const shadowed = await evaluate("($canonical := []; $doc('encounter').accountNumber)");
    expect(shadowed).to.equal('ACC-778812');
  });

  it('keeps a "__proto__" key an ordinary property and does not pollute Object.prototype', async () => {
    const out = await evaluate('{"__proto__": {"polluted": true}, "a": 1}');
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    expect(Object.keys(out as object)).to.deep.equal(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('stops a function that recurses forever (tail call) at the time limit', async () => {
    const err = await failure('($f := function($x) { $f($x) }; $f(1))');
    expect(err.code).to.equal('expression-timeout');
    expect(err.message).to.equal('step 0 (map) vars.out: the expression ran longer than 300 ms and was stopped');
  });

  it('stops deep non-tail recursion at the depth limit', async () => {
    const err = await failure('($f := function($x) { 1 + $f($x) }; $f(1))');
    expect(err.code).to.equal('expression-too-deep');
    expect(err.message).to.include('deeper than 1000 levels');
  });

  it('stops huge ranges and padding', async () => {
    expect((await failure('$count([1..5000000])')).code).to.equal('result-too-large');
    expect((await failure('$pad("x", 500000000)')).code).to.equal('result-too-large');
    expect(await evaluate('$pad("7", -3, "0")')).to.equal('007');
  });

  it('refuses regular expressions with nested quantifiers at compile time', () => {
    const err = thrown(() => compilePipeline([{ filter: { when: '$contains(meta.sender, /(a+)+$/)', reason: 'r' } }], deps));
    expect(err.code).to.equal('unsafe-expression');
    expect(err.position).to.be.a('number');
    expect(() => compilePipeline([{ filter: { when: '$contains(meta.sender, /^EPIC\\^[A-Z]+$/)', reason: 'r' } }], deps)).to.not.throw();
  });

  it('refuses results that are not JSON: functions and non-finite numbers', async () => {
    const fn = await failure('function($x) { $x }');
    expect(fn.code).to.equal('not-serialisable');
    expect(fn.message).to.include('a function at $');
    const inf = await failure('{"total": 1 / 0}');
    expect(inf.code).to.equal('not-serialisable');
    expect(inf.message).to.include('Infinity at $.total');
  });

  it('keeps values from the message out of error messages', async () => {
    const err = await failure("$number($doc('encounter').accountNumber & 'x')");
    expect(err.message).to.not.include('ACC-778812');
    expect(err.message).to.include('(value withheld)');
  });

  it('reports a failing route condition without crashing other evaluations', async () => {
    const cond = compileCondition('$lookup(meta.channel, "x")', deps);
    const err = await rejection(cond(dftState()));
    expect(err.code).to.equal('unknown-table');
    expect(err.message).to.match(/^condition when: /);
    expect(await compileCondition("meta.channel = 'or-usage'", deps)(dftState())).to.equal(true);
  });

  it("does not count concurrent evaluations against each other's time limit", async () => {
    // Alone, this takes a small fraction of the limit; a hundred run together take several times
    // the limit in total. Evaluations interleaving would make them all time out.
    const p = compilePipeline([{ map: { x: '$sum([1..5000].($ * 2))' } }], { tables: {}, limits: { timeoutMs: 1500 } });
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => p.run(dftState())));
    const failed = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason?.code);
    expect(failed).to.deep.equal([]);
    const first = results[0] as PromiseFulfilledResult<{ outcome: string; state?: { vars: Record<string, unknown> } }>;
    expect(first.value.state?.vars.x).to.equal(25005000);
  });

  it('refuses absurd expressions at compile time without crashing', () => {
    for (const expr of ['('.repeat(100_000), `1${'+1'.repeat(200_000)}`, '"unterminated', '}{', 'a.b.', '[1, 2']) {
      const err = thrown(() => compilePipeline([{ map: { out: expr } }], deps));
      expect(err.code, expr.slice(0, 12)).to.equal('invalid-expression');
      expect(err.message, expr.slice(0, 12)).to.match(/^step 0 \(map\) out: invalid expression/);
    }
  });

  it('copes with an empty or missing message and no canonical documents', async () => {
    const steps: StepConfig[] = [
      { map: { enc: "$doc('encounter')", all: '$docs()', seg: 'message.MSH.MSH_9' } },
      { filter: { when: "$doc('supply-usage')", reason: 'nothing to map' } },
    ];
    for (const message of [null, undefined, {}, [], 'garbage', 42]) {
      const r = await compilePipeline(steps, deps).run(dftState({ message, canonical: [] }));
      expect(r, JSON.stringify(message)).to.deep.equal({ outcome: 'filtered', reason: 'nothing to map', step: 1 });
    }
  });

  it('survives hostile message trees: deep nesting, huge strings, odd keys', async () => {
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 5000; i++) deep = { n: deep };
    const big = 'A'.repeat(2_000_000);
    const state = dftState({ message: { deep, big, 'we ird': { '': 1 } } });
    const steps: StepConfig[] = [{ map: { len: '$length(message.big)', odd: 'message.`we ird`.``' } }];
    const r = await compilePipeline(steps, deps).run(state);
    if (r.outcome !== 'passed') throw new Error('expected passed');
    expect(r.state.vars).to.deep.equal({ len: 2_000_000, odd: 1 });
    const copy = await rejection(compilePipeline([{ map: { all: 'message.deep' } }], deps).run(state));
    expect(copy.code).to.equal('result-too-large');
  });
});
