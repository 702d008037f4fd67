import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/interlace.js');

/** Runs the command line and keeps stdout as bytes (an X12 answer is bytes, not text). */
function interlace(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

describe('interlace command line: real-world files', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'interlace-conformance-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('ack writes an interchange whose terminator is 0xE2 back with that single byte and a 106-byte ISA', () => {
    const text = readFileSync(join(ROOT, 'samples/x12/850/850-004010.x12'), 'latin1').replace(/\r?\n/g, '').replace(/~/g, '\xe2');
    const file = join(tmp, 'e2.x12');
    writeFileSync(file, Buffer.from(text, 'latin1'));
    const r = interlace(['ack', file, '--config', join(ROOT, 'config')]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.subarray(0, 3).toString('latin1')).to.equal('ISA');
    expect(r.stdout[105]).to.equal(0xe2);
    expect(r.stdout.includes(Buffer.from([0xc3, 0xa2])), 'no UTF-8 encoded 0xE2').to.equal(false);
  });
});
