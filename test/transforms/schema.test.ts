import { expect } from 'chai';
import { parse } from 'yaml';
import { z } from 'zod';
import { bodySchema, conditionSchema, stepSchema } from '../../transforms/index.js';

const steps = z.array(stepSchema);
const issues = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

/** Every property of every object in a JSON Schema, with the path to it. */
function properties(schema: unknown, at = '$'): { at: string; node: Record<string, unknown> }[] {
  const out: { at: string; node: Record<string, unknown> }[] = [];
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.properties && typeof n.properties === 'object') {
      for (const [k, v] of Object.entries(n.properties as Record<string, unknown>)) {
        out.push({ at: `${path}.${k}`, node: v as Record<string, unknown> });
        walk(v, `${path}.${k}`);
      }
    }
    for (const key of ['items', 'additionalProperties']) walk(n[key], `${path}[${key}]`);
    for (const key of ['anyOf', 'oneOf', 'allOf'])
      if (Array.isArray(n[key])) (n[key] as unknown[]).forEach((v, i) => walk(v, `${path}<${i}>`));
  };
  walk(schema, at);
  return out;
}

describe('transforms: schemas', () => {
  it('accepts every step kind as analysts write it in YAML', () => {
    const yaml = `
- filter: { when: "meta.messageType = 'DFT^P03'", reason: not a charge message }
- map:
    usage: $doc('supply-usage')
    count: $count(vars.usage.lines)
- lookup:
    table: uom
    forEach: vars.usage.lines
    key: quantity.unit
    into: units
    onMissing: default
    default: { erp_unit: EA, factor: "1" }
- lookup: { table: items, key: "'IM-1'", column: erp_item, keyColumn: item, into: erp, onMissing: skip }
- validate:
    - require: meta.controlId
      message: MSH-10 is missing
`;
    const parsed = steps.parse(parse(yaml));
    expect(parsed).to.have.length(5);
    expect(parsed[2]!.lookup!.default).to.deep.equal({ erp_unit: 'EA', factor: '1' });
  });

  it('refuses steps with no verb, two verbs or an unknown verb', () => {
    expect(issues(stepSchema, {})).to.deep.equal([': a step needs one of filter, map, lookup, validate, enrich']);
    expect(issues(stepSchema, { map: { a: '1' }, filter: { when: 'x', reason: 'r' } })).to.deep.equal([
      ': a step has exactly one verb; this one has filter and map',
    ]);
    expect(issues(stepSchema, { route: { to: 'erp' } })[0]).to.include('Unrecognized key');
  });

  it('refuses unknown fields and missing required ones, at their path', () => {
    expect(issues(stepSchema, { filter: { when: 'x', reason: 'r', unless: 'y' } })[0]).to.match(/^filter: Unrecognized key/);
    expect(issues(stepSchema, { filter: { when: 'x' } })[0]).to.match(/^filter\.reason: /);
    expect(issues(stepSchema, { lookup: { table: 'uom', key: 'k', into: 'x', onMissing: 'drop' } })[0]).to.match(/^lookup\.onMissing: /);
    expect(issues(stepSchema, { lookup: { table: 'uom', key: 'k', into: 'x' } })).to.deep.equal([]);
    expect(issues(stepSchema, { validate: [] })).to.deep.equal(['validate: validate needs at least one rule']);
    expect(issues(stepSchema, { map: {} })).to.deep.equal(['map: map needs at least one variable']);
    expect(issues(stepSchema, { filter: { when: '', reason: 'r' } })).to.deep.equal(['filter.when: an expression cannot be empty']);
  });

  it('ties default to onMissing: default', () => {
    expect(issues(stepSchema, { lookup: { table: 'uom', key: 'k', into: 'x', onMissing: 'default' } })).to.deep.equal([
      'lookup.default: onMissing: default needs a default value',
    ]);
    expect(issues(stepSchema, { lookup: { table: 'uom', key: 'k', into: 'x', onMissing: 'skip', default: 1 } })).to.deep.equal([
      'lookup.default: default is only used with onMissing: default',
    ]);
  });

  it('refuses variable names that are not identifiers or are reserved', () => {
    expect(issues(stepSchema, { map: { 'item-number': 'x' } })[0]).to.include('letters, digits and _');
    expect(issues(stepSchema, { map: { __proto__: 'x' } })).to.have.length.greaterThan(0);
    expect(issues(stepSchema, { map: { constructor: 'x' } })[0]).to.include('reserved');
    expect(issues(stepSchema, { lookup: { table: 't', key: 'k', into: 'constructor', onMissing: 'skip' } })[0]).to.include('reserved');
  });

  it('wants exactly one body kind, and charset only for raw', () => {
    expect(issues(bodySchema, { json: 'vars' })).to.deep.equal([]);
    expect(issues(bodySchema, { raw: true, charset: 'latin1', headers: { 'X-Id': 'meta.messageId' }, path: "'a'" })).to.deep.equal([]);
    expect(issues(bodySchema, {})).to.deep.equal([': a body needs one of json, template, raw, csv or fixed']);
    expect(issues(bodySchema, { json: 'a', template: 'b' })).to.deep.equal([
      ': a body has exactly one of json, template, raw, csv or fixed; this one has json and template',
    ]);
    expect(issues(bodySchema, { json: 'a', charset: 'latin1' })).to.deep.equal(['charset: charset applies only to raw bodies']);
    expect(issues(bodySchema, { raw: false })[0]).to.match(/^raw: /);
    expect(issues(bodySchema, { json: 'a', headers: { 'X Bad': 'x' } })[0]).to.include('header name');
    expect(issues(conditionSchema, '')).to.have.length(1);
  });

  it('produces a JSON Schema in which every field is described', () => {
    for (const schema of [stepSchema, bodySchema]) {
      const json = z.toJSONSchema(schema, { io: 'input' });
      const props = properties(json);
      expect(props.length).to.be.greaterThan(5);
      const undocumented = props.filter((p) => typeof p.node.description !== 'string' || p.node.description.length < 10).map((p) => p.at);
      expect(undocumented).to.deep.equal([]);
    }
    const step = z.toJSONSchema(stepSchema, { io: 'input' }) as Record<string, unknown>;
    expect(step.maxProperties).to.equal(1);
    expect(step.additionalProperties).to.equal(false);
  });
});
