import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect } from 'chai';
import jsonata from 'jsonata';
import { loadConfig } from '../../engine/config/index.js';
import { loadTestFile, testFileOf } from '../../engine/config/test-file.js';
import { parserFor } from '../../parsers/index.js';
import { compileDirect, UNDECIDED } from '../../transforms/direct.js';
import { compileContext, compileExpression } from '../../transforms/expression.js';
import { compileBody, compilePipeline, type PipelineState } from '../../transforms/index.js';
import { dftState, outcome, TABLES } from './support.js';

// Differential test of the direct evaluator's operators and functions (transforms/direct-ops.ts):
// every expression runs over every pair of values with the direct evaluator allowed (default limits)
// and with it off (maxDepth 399: JSONata alone). Values and error codes must be the same; where the
// direct evaluator is not sure it answers UNDECIDED and JSONata decides, so the two always agree.

const site = { kind: 'map', field: 'vars.out' };
const on = compileContext({ tables: TABLES, limits: { timeoutMs: 1000 } });
const off = compileContext({ tables: TABLES, limits: { timeoutMs: 1000, maxDepth: 399 } });

const VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  7,
  -2.5,
  0.1 + 0.2,
  1e21,
  123456789012345680,
  '',
  'a',
  '12',
  [],
  [1],
  ['a'],
  ['a', 'b'],
  [1, 2],
  [[1], [2]],
  {},
  { k: 1 },
  [{ k: 1 }, { k: 2 }],
  [{ k: 1 }],
  [{ k: 1 }, { j: 2 }],
  [{ k: { m: 1 } }, { k: { m: 2 } }, { k: { n: 3 } }],
  [{ k: [1, 2] }, { k: 3 }],
  [{ k: 1 }, null],
  [{ j: 1 }],
  ['b', 'B', 'a', 'é', 'a', '10', '9'],
  [3, -1, 2.5, 3, 0],
  [{ k: 'b' }, { k: 'a' }, { k: 'c' }],
  [1, 'a'],
];

const UNARY = [
  '$not($vars.x)',
  '$count($vars.x)',
  '$abs($vars.x)',
  '$string($vars.x)',
  '$join($vars.x)',
  '$join($vars.x, "-")',
  '$vars.x ? "yes" : "no"',
  '$vars.x ? "yes"',
  '$vars.x in ["a", 7, null, true]',
  '"<" & $vars.x & ">"',
  '/* a comment */ $vars.x and true',
  '$not($exists($vars.x)) or $vars.x = ""',
  '$vars.x.k',
  '$vars.x.k.m',
  '{"all": $vars.x.k}',
  '[$vars.x.k]',
  '$count($vars.x.k)',
  '$join($vars.x.k, ",")',
  '$vars.x[0]',
  '$sort($vars.x)',
  '$join($sort($vars.x.k), " ")',
  '$vars.x[k = 1]',
  '$vars.x[k > 1 or j = 2]',
  '$vars.x[$not(k in [1, 3])]',
  '$vars.x[$exists(k)].k',
  '$count($vars.x[k != 2]) = 0',
  '$filter($vars.x, function($v) { $v.k = 1 })',
  '$filter($vars.x, function($v, $i) { $i > 0 })',
  '[$filter($vars.x, function($v) { $v })]',
  '$map($vars.x, function($v) { $v })',
  '$map($vars.x.k, function($v, $i) { $i })',
  '$map($vars.x.k, function($v, $i, $a) { $count($a) })',
  '$filter($vars.x.k, function($v) { $v != 2 })',
  '$distinct($vars.x)',
  '$distinct($vars.x.k)',
  '$sort($distinct($vars.x.k))',
  '$count($sort($vars.x))',
  '$merge($vars.x)',
  '$substring($vars.x, 1)',
  '$substring($vars.x, -1, 1)',
  '$substring($vars.x, 0, 10)',
  '$substring($vars.x, 1, 0)',
  '$replace($vars.x, /a(b)?/, "[$1]")',
  '$replace($vars.x, /(\\d)(\\d)/, "$2$1")',
  '{ $vars.x: 1 }',
  '{ $string($vars.x): $vars.x, "k": 2 }',
  '{ "k": 1, $vars.x: 2 }',
];

/** Index predicates that read their context: always left to JSONata, which picks per item. */
const LEFT_TO_JSONATA = ['$vars.x[k]', '$vars.x[j]', '$vars.x[$]'];

const BINARY = [
  '$vars.x and $vars.y',
  '$vars.x or $vars.y',
  '$vars.x & $vars.y',
  '$vars.x in $vars.y',
  '$vars.x < $vars.y',
  '$vars.x <= $vars.y',
  '$vars.x > $vars.y',
  '$vars.x >= $vars.y',
];

/** Runs `source` over every binding of `vars`; returns how many the direct evaluator decided itself. */
async function differ(source: string, bindings: Record<string, unknown>[]): Promise<number> {
  const fast = compileExpression(source, [], on);
  const slow = compileExpression(source, [], off);
  const direct = compileDirect(jsonata(source).ast(), on.limits);
  let decided = 0;
  for (const vars of bindings) {
    const s: PipelineState = dftState({ vars });
    const mine = await outcome(() => fast.evaluate(s, site));
    const theirs = await outcome(() => slow.evaluate(s, site));
    expect(mine, `${source} with ${JSON.stringify(vars)}`).to.deep.equal(theirs);
    const view = { message: s.message, canonical: s.canonical, meta: s.meta, vars: s.vars };
    if (direct && direct(view, { bindings: { ...view }, state: s }) !== UNDECIDED) decided++;
  }
  return decided;
}

describe('transforms: the direct evaluator against JSONata, operator by operator', () => {
  for (const source of UNARY) {
    it(source, async () => {
      const decided = await differ(
        source,
        VALUES.map((x) => ({ x })),
      );
      expect(decided, `${source} is decided for some values`).to.be.greaterThan(0);
    });
  }
  for (const source of LEFT_TO_JSONATA) {
    it(source, async () => {
      const decided = await differ(
        source,
        VALUES.map((x) => ({ x })),
      );
      expect(decided, `${source} is left to JSONata`).to.equal(0);
    });
  }
  it('evaluates computed keys before any value, and leaves ten groups or more to JSONata ($10)', async () => {
    const texts = VALUES.filter((v) => typeof v === 'string').map((x) => ({ x }));
    expect(await differ('($k := "j"; {"a": $k := "k", $k: 1, "b": $vars.x})', texts), 'decided by the direct evaluator').to.be.greaterThan(
      0,
    );
    expect(
      await differ('$replace($vars.x, /(a)(b)?(c)?(d)?(e)?(f)?(g)?(h)?(i)?(j)?/, "<$10>")', texts),
      'ten groups: JSONata reads $10',
    ).to.equal(0);
  });

  it('leaves a pattern that can match nothing to JSONata (its error wherever it does)', async () => {
    const texts = VALUES.filter((v) => typeof v === 'string').map((x) => ({ x }));
    expect(await differ('$replace($vars.x, /b*/, "-")', texts)).to.equal(0);
  });
  for (const source of BINARY) {
    it(source, async () => {
      const decided = await differ(
        source,
        VALUES.flatMap((x) => VALUES.map((y) => ({ x, y }))),
      );
      expect(decided, `${source} is decided for some values`).to.be.greaterThan(0);
    });
  }

  it('evaluates the right-hand side of and/or only when JSONata does', async () => {
    // An undefined function on the right is an error in JSONata only if it is evaluated.
    for (const source of ['false and $nope()', 'true or $nope()', 'true and $nope()', 'false or $nope()']) {
      await differ(source, [{}]);
    }
  });
});

/** The on-hand answer of the shipped channel's enrich step, the same for both runs. */
const onHand: typeof fetch = () =>
  Promise.resolve(new Response('{"onHand": 10}', { status: 200, headers: { 'content-type': 'application/json' } }));

describe('transforms: the shipped channels give the same results with and without the direct evaluator', () => {
  it('runs every channel with test cases over its sample inputs, steps and route bodies', async function () {
    this.timeout(120_000);
    const { config } = await loadConfig(resolve('config'), { env: process.env });
    const tables = Object.fromEntries(config.tables.map((t) => [t.name, { columns: t.columns, rows: t.rows }]));
    let compared = 0;
    for (const channel of config.channels) {
      const testFile = testFileOf(channel.file);
      if (!existsSync(testFile)) continue;
      const c = channel.config;
      const run = async (maxDepth: number | undefined, state: PipelineState) => {
        const deps = { tables, fetch: onHand, limits: maxDepth === undefined ? {} : { maxDepth } };
        const result = await outcome(() => compilePipeline(c.transforms as never, deps).run(state));
        const bodies = [];
        if ('value' in result && (result.value as { outcome: string }).outcome === 'passed') {
          const passed = (result.value as { state: PipelineState }).state;
          for (const route of c.routes) bodies.push(await outcome(() => compileBody((route.body ?? { raw: true }) as never, deps)(passed)));
        }
        return { result, bodies };
      };
      for (const input of loadTestFile(testFile, process.env).inputs) {
        const raw = await readFile(input);
        const parser = parserFor(c.parse.format, raw);
        const parsed = parser?.parse(raw, { fallbackEncoding: c.parse.encoding, strict: c.parse.strict });
        if (!parser || !parsed?.message) continue;
        const state = (): PipelineState => ({
          message: parser.toTree(parsed.message!),
          canonical: parser.toCanonical(parsed.message!).documents,
          meta: {
            channel: channel.config.name,
            messageId: 'm1',
            ...parser.header(parsed.message!),
            receivedAt: '2026-11-21T14:30:05.000Z',
          },
          vars: {},
          raw,
        });
        expect(await run(undefined, state()), `${channel.config.name} ${input}`).to.deep.equal(await run(399, state()));
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(2);
  });
});
