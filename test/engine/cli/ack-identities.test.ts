import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/interlace.js');
/** A sample addressed (ISA07/ISA08) to ZZ/LAKESHOREGEN, from a sender without a partner file. */
const SAMPLE = join(ROOT, 'samples/x12/856/856-sopi-004010.x12');

function interlace(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const isa = (out: string) => out.trim().split('~')[0]!.split('*');
const ta1 = (out: string) =>
  out
    .split('~')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('TA1*'))
    .map((s) => s.split('*').slice(4, 6).join(' '));

describe('interlace ack and validate: our X12 identities', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'interlace-ids-'));
    mkdirSync(join(dir, 'partners'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('with no identity declared, previews the answer as the identity the file addresses', () => {
    writeFileSync(join(dir, 'engine.yaml'), 'engine: { id: preview }\n');
    const r = interlace(['ack', SAMPLE, '--config', dir]);
    expect(r.code, r.stderr).to.equal(0);
    expect([isa(r.stdout)[5], isa(r.stdout)[6]!.trim()]).to.deep.equal(['ZZ', 'LAKESHOREGEN']);
    expect(r.stdout).to.match(/~\s*ST\*999\*/);
  });

  it('with identities declared, a file addressed to none of them previews TA1 R 009, and one addressed to ours a 999 from it', () => {
    writeFileSync(
      join(dir, 'engine.yaml'),
      [
        'engine: { id: preview }',
        'x12:',
        '  interchangeId: INTERLACEHOSP',
        '  applicationCode: INTERLACE',
        '  identities:',
        "    - { qualifier: '01', interchangeId: '987654321', applicationCode: EASTCAMPUS }",
        '',
      ].join('\n'),
    );
    const foreign = interlace(['ack', SAMPLE, '--config', dir]);
    expect(foreign.code, foreign.stderr).to.equal(0);
    expect(ta1(foreign.stdout)).to.deep.equal(['R 009']);
    expect(foreign.stdout).not.to.match(/ST\*99[79]/);
    writeFileSync(
      join(dir, 'engine.yaml'),
      `engine: { id: preview }\nx12:\n  identities:\n    - { qualifier: ZZ, interchangeId: LAKESHOREGEN, applicationCode: LAKESHORE }\n`,
    );
    const ours = interlace(['ack', SAMPLE, '--config', dir]);
    expect(ta1(ours.stdout)).to.deep.equal([]);
    expect(isa(ours.stdout)[6]!.trim()).to.equal('LAKESHOREGEN');
  });

  it('validate refuses a partner file whose us names an identity engine.yaml does not declare, at the line of us', () => {
    writeFileSync(join(dir, 'engine.yaml'), 'engine: { id: preview }\nx12: { interchangeId: INTERLACEHOSP, applicationCode: INTERLACE }\n');
    writeFileSync(
      join(dir, 'partners', 'acme.yaml'),
      [
        'id: acme',
        'name: Acme',
        'isa: { qualifier: ZZ, id: ACME }',
        'gs: { id: ACME }',
        "version: '005010'",
        'us: { id: WESTCAMPUS }',
        'transport: { type: file, inbound: /tmp/in, outbound: /tmp/out }',
        '',
      ].join('\n'),
    );
    const r = interlace(['validate', '--config', dir]);
    expect(r.code).to.equal(1);
    expect(r.stdout + r.stderr).to.match(
      /partners\/acme\.yaml:6:\d+ unknown-identity: us names WESTCAMPUS, which is not one of our X12 identities in engine\.yaml; ours: ZZ\/INTERLACEHOSP/,
    );
  });
});
