import { expect } from 'chai';
import { z } from 'zod';
import { buildChannelSchema, parseYamlSource } from '../../../engine/config/index.js';
import { validateFile } from '../../../engine/config/validate.js';
import { sortDiagnostics } from '../../../engine/config/diagnostics.js';
import { testRegistry } from './support.js';
import type { ConfigRegistry } from '../../../engine/config/index.js';

function check(src: string, registry: ConfigRegistry = testRegistry) {
  const yaml = parseYamlSource('channels/c.yaml', src, {});
  const { value, diagnostics } = validateFile(buildChannelSchema(registry), yaml, 'the channel');
  return {
    value,
    lines: sortDiagnostics([...yaml.diagnostics, ...diagnostics]).map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`),
  };
}

const ROUTE = 'routes:\n  - name: erp\n    destination: { type: http, url: "http://erp.local/x" }\n';

describe('config channel schema', () => {
  it('fills in defaults: parse, enabled, transforms, retry, concurrency', () => {
    const { value, lines } = check(`name: a\nsource: { type: file, path: ./in }\n${ROUTE}`);
    expect(lines).to.deep.equal([]);
    expect(value).to.deep.equal({
      name: 'a',
      enabled: true,
      source: { type: 'file', path: './in' },
      parse: { format: 'auto', strict: false },
      inputs: [],
      transforms: [],
      routes: [
        {
          name: 'erp',
          transforms: [],
          destination: { type: 'http', url: 'http://erp.local/x', timeout: 30_000 },
          retry: { attempts: 10, delay: 1000, maxDelay: 600_000, factor: 2, jitter: 0.2 },
          concurrency: 1,
        },
      ],
    });
  });

  it('inputs: more sources of the channel, each with its format; another format than parse.format needs parse.format auto', () => {
    const ok = check(
      `name: a\nsource: { type: mllp, port: 2575 }\nparse: { format: auto }\ninputs:\n  - format: json\n    source: { type: file, path: ./in }\n${ROUTE}`,
    );
    expect(ok.lines).to.deep.equal([]);
    expect(ok.value!.inputs).to.deep.equal([{ format: 'json', source: { type: 'file', path: './in' } }]);
    const mismatch = check(
      `name: a\nsource: { type: mllp, port: 2575 }\nparse: { format: hl7v2 }\ninputs:\n  - format: json\n    source: { type: file, path: ./in }\n  - source: { type: mllp, port: 2576 }\n${ROUTE}`,
    );
    expect(mismatch.lines).to.deep.equal([
      '5:13 invalid-config: inputs[0].format: this input receives json but the channel parses hl7v2; set parse.format to auto so each message is read in its own format',
    ]);
    const bad = check(`name: a\nsource: { type: mllp, port: 2575 }\ninputs:\n  - format: csv\n    source: { type: nope }\n${ROUTE}`);
    expect(bad.lines.map((l) => l.replace(/: .*$/, ''))).to.deep.equal(['4:13 invalid-value', '5:21 unknown-type']);
  });

  it('refuses a number or true/false written in quotes, saying to write it without (only ${VAR} values are read as one)', () => {
    const { lines } = check(
      `name: a\nenabled: "false"\nparse: { strict: "true" }\nsource: { type: mllp, port: "2575" }\n${ROUTE}    concurrency: "8"\n`,
    );
    expect(lines).to.deep.equal([
      '2:10 invalid-type: enabled: expected true or false, got "false"; a number or true/false is written without quotes',
      '3:18 invalid-type: parse.strict: expected true or false, got "true"; a number or true/false is written without quotes',
      '4:29 invalid-port: "2575" is not a port (0–65535); a number or true/false is written without quotes',
      '8:18 invalid-type: routes[0].concurrency: expected a number, got "8"; a number or true/false is written without quotes',
    ]);
  });

  it('reports transform step and body problems from the transforms schemas with positions', () => {
    const { lines } = check(
      `name: a\nsource: { type: file, path: ./in }\ntransforms:\n  - filter: { when: "x" }\n  - maps: { a: "1" }\nroutes:\n  - name: erp\n    body: { jsn: "x" }\n    destination: { type: http, url: "http://x" }\n`,
    );
    expect(lines.map((l) => l.replace(/: .*$/, ''))).to.deep.equal([
      '4:5 missing-field',
      '5:5 unknown-key',
      '5:5 invalid-config',
      '8:11 invalid-config',
      '8:13 unknown-key',
    ]);
    expect(lines[0]).to.equal('4:5 missing-field: "reason" is missing from transforms[0].filter; expected text');
    expect(lines[1]).to.equal(
      '5:5 unknown-key: "maps" is not a field of transforms[1]; expected one of filter, map, lookup, validate, enrich (did you mean "map"?)',
    );
  });

  it('reports a missing source type and no routes', () => {
    const { lines } = check('name: a\nsource: { port: 1 }\nroutes: []\n');
    expect(lines).to.deep.equal([
      '2:1 missing-field: source has no "type"; expected one of mllp, file',
      '3:9 out-of-range: routes: a channel needs at least one route',
    ]);
  });

  it('says so when no source type is registered yet', () => {
    const { lines } = check(`name: a\nsource: { type: mllp, port: 1 }\n${ROUTE}`, { ...testRegistry, sources: [] });
    expect(lines).to.deep.equal(['2:17 unknown-type: "mllp" is not a source type; no source types are registered yet']);
  });

  it('refuses a registry entry whose schema is not an object, or declares another type', () => {
    const notObject = { ...testRegistry, sources: [{ type: 'odd', schema: z.string() }] };
    expect(() => buildChannelSchema(notObject)).to.throw(/source "odd": its schema must be a z.strictObject/);
    const mismatch = { ...testRegistry, sources: [{ type: 'odd', schema: z.strictObject({ type: z.literal('even') }) }] };
    expect(() => buildChannelSchema(mismatch)).to.throw(/source "odd": its schema declares type even/);
  });
});
