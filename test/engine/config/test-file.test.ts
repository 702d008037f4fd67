import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../../engine/config/index.js';
import { loadTestFile } from '../../../engine/config/test-file.js';
import { main } from '../../../engine/cli/main.js';
import { checkConfigDir } from '../../../engine/runtime/check.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHANNEL = { name: 'or-usage', routes: ['erp', 'billing'] };

/** Runs the CLI in this process: its exit code and what it printed. */
async function run(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const { error, log, warn } = console;
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  console.warn = (...a: unknown[]) => void err.push(a.join(' '));
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    return { code: await main(argv), stderr: err.join('\n'), stdout: out.join('\n') };
  } finally {
    Object.assign(console, { error, log, warn });
  }
}

describe('test files (*.test.yaml)', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'interlace-test-file-'));
    writeFileSync(join(tmp, 'sample.hl7'), 'MSH|^~\\&|A|B|C|D|20261121||ADT^A01|1|P|2.5.1\r');
    mkdirSync(join(tmp, 'a-directory'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** The problems of a test file with this text, as `line:column code: message`. */
  const problems = (text: string) => {
    const file = join(tmp, 'or-usage.test.yaml');
    writeFileSync(file, text);
    return loadTestFile(file, {}, CHANNEL).diagnostics.map((d) => formatDiagnostic(d, tmp).replace(/^or-usage\.test\.yaml:/, ''));
  };

  it('accepts a well-formed file', () => {
    const text = [
      'http:',
      '  /on-hand?item=1: { onHand: 3 }',
      'cases:',
      '  - name: routed',
      '    input: sample.hl7',
      '    expect: { outcome: routed, routes: { erp: { json: { a: 1 } }, billing: }, notRoutes: [] }',
      '',
    ].join('\n');
    expect(problems(text)).to.deep.equal([]);
  });

  it('refuses the typos that used to make a case check nothing, each at its line and column', () => {
    const text = [
      'cases:',
      '  - name: typo in expect',
      '    input: sample.hl7',
      '    expct: { outcome: routed }',
      '  - name: typo in outcome',
      '    input: sample.hl7',
      '    expect: { outcom: routed }',
      '  - name: typo in input',
      '    inputs: sample.hl7',
      '    expect: { outcome: routed }',
      '',
    ].join('\n');
    const found = problems(text);
    expect(found).to.include.members([
      '4:5 unknown-key: "expct" is not a field of cases[0]; expected one of name, input, unit, http, expect (did you mean "expect"?)',
      '7:15 unknown-key: "outcom" is not a field of cases[1].expect; expected one of outcome, error, rule, routes, notRoutes (did you mean "outcome"?)',
      '9:5 unknown-key: "inputs" is not a field of cases[2]; expected one of name, input, unit, http, expect (did you mean "input"?)',
    ]);
    expect(found.filter((f) => / missing-field: /.test(f))).to.deep.equal([
      '2:5 missing-field: "expect" is missing from cases[0]; expected a mapping (key: value lines)',
      '7:13 missing-field: expect checks nothing; give at least one of outcome, error, rule, routes, notRoutes',
      '8:5 missing-field: "input" is missing from cases[2]; expected text',
    ]);
  });

  it('refuses a file without a case, an empty file, and a YAML error, in one line each', () => {
    expect(problems('cases: []\n')).to.deep.equal(['1:8 out-of-range: the test file has no case; expected at least one under cases:']);
    expect(problems('')).to.deep.equal(['1:1 not-a-mapping: the file is empty or not a mapping; expected `key: value` lines']);
    expect(problems('cases: [ this is not\n'))
      .to.have.length(1)
      .and.to.match(/^\d+:\d+ yaml-syntax: /);
    expect(problems('cases:\n  - name: x\n    input: sample.hl7\n    expect: {}\n')).to.deep.equal([
      '4:13 missing-field: expect checks nothing; give at least one of outcome, error, rule, routes, notRoutes',
    ]);
  });

  it('refuses an input that does not exist or is a directory, and a route the channel does not have', () => {
    const text = [
      'cases:',
      '  - name: missing',
      '    input: nowhere.hl7',
      '    expect: { outcome: routed }',
      '  - name: directory',
      '    input: a-directory',
      '    expect: { outcome: routed }',
      '  - name: routes',
      '    input: sample.hl7',
      '    expect: { routes: { erp-usage: }, notRoutes: [bill] }',
      '',
    ].join('\n');
    expect(problems(text)).to.deep.equal([
      '3:12 input-unreadable: nowhere.hl7 does not exist (the path is relative to the test file)',
      '6:12 input-unreadable: a-directory is a directory; expected a sample file',
      '10:25 unknown-route: "erp-usage" is not a route of channel or-usage; expected one of erp, billing',
      '10:51 unknown-route: "bill" is not a route of channel or-usage; expected one of erp, billing',
    ]);
  });

  it('interlace validate reports the problems of test files with the rest of the config', async () => {
    const dir = join(tmp, 'config');
    cpSync(join(ROOT, 'config'), dir, { recursive: true });
    const tests = join(dir, 'channels', 'or-implant-charges.test.yaml');
    writeFileSync(
      tests,
      readFileSync(tests, 'utf8').replace('    expect:\n      outcome: routed\n', '    expct:\n      outcome: routed\n'),
    );
    const found = (await checkConfigDir(dir, {})).filter((d) => d.file.endsWith('.test.yaml'));
    expect(found.map((d) => `${relative(dir, d.file)} ${d.code}`)).to.include('channels/or-implant-charges.test.yaml unknown-key');
  });

  describe('interlace test', () => {
    let config: string;
    beforeEach(() => {
      config = join(tmp, 'config');
      cpSync(join(ROOT, 'config'), config, { recursive: true });
    });
    const channel = () => join(config, 'channels', 'or-implant-charges.yaml');
    const tests = () => join(config, 'channels', 'or-implant-charges.test.yaml');
    const sample = (name: string) => join(ROOT, 'samples', 'hl7', name);

    it('exits 1 without running a case when the test file has a typo, naming file, line and column', async () => {
      writeFileSync(tests(), `cases:\n  - name: x\n    input: ${sample('dft-p03-hip-implant.hl7')}\n    expct: { outcome: routed }\n`);
      const r = await run(['test', channel()]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/or-implant-charges\.test\.yaml:4:5 unknown-key: "expct"/);
      expect(r.stderr).to.match(/no case was run$/m);
      expect(r.stdout).not.to.match(/passed/);
    });

    it('exits 1 when there is nothing to test: no test file and no input file', async () => {
      rmSync(tests());
      const r = await run(['test', channel()]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/has no test file \(.*or-implant-charges\.test\.yaml\) and no input file was given; nothing was tested$/);
      expect((await run(['test', channel(), sample('adt-a01-admit.hl7')])).code).to.equal(0);
    });

    it('exits 1 when the file has no case, or when its input is missing, with no stack trace', async () => {
      writeFileSync(tests(), 'cases: []\n');
      const empty = await run(['test', channel()]);
      expect(empty.code).to.equal(1);
      expect(empty.stderr).to.match(/out-of-range: the test file has no case/);
      writeFileSync(tests(), 'cases:\n  - name: x\n    input: nowhere.hl7\n    expect: { outcome: routed }\n');
      const missing = await run(['test', channel()]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/:3:12 input-unreadable: nowhere\.hl7 does not exist/);
      expect(missing.stderr + missing.stdout).not.to.match(/\n\s+at /);
    });

    it('exits 1 when an input does not go through the channel and the case did not expect it', async () => {
      const garbage = join(tmp, 'garbage.hl7');
      writeFileSync(garbage, 'this is not HL7\n');
      writeFileSync(tests(), `cases:\n  - name: garbage\n    input: ${garbage}\n    expect: { notRoutes: [erp-usage] }\n`);
      const r = await run(['test', channel()]);
      expect(r.code, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(/✘ garbage\n\s+the input did not go through the channel/);
      const adHoc = await run(['test', channel(), garbage]);
      expect(adHoc.code).to.equal(1);
      expect(adHoc.stderr).to.match(/1 message\(s\) of the given files did not go through the channel/);
    });
  });
});
