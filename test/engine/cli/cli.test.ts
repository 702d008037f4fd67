import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../../channels/mllp/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/interlace.js');

function interlace(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('interlace command line', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'interlace-cli-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('lists its commands', () => {
    const r = interlace(['--help']);
    expect(r.code).to.equal(0);
    for (const c of ['start', 'validate', 'parse', 'test', 'send', 'ack']) expect(r.stdout).to.match(new RegExp(`^  ${c} `, 'm'));
    expect(interlace(['frobnicate']).code).to.equal(2);
  });

  it('validates the shipped configuration', () => {
    const r = interlace(['validate', '--config', 'config']);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
  });

  it('reports every problem of a broken configuration at once, with file:line:column, and exits 1', () => {
    const dir = join(tmp, 'config');
    cpSync(join(ROOT, 'config'), dir, { recursive: true });
    const channel = join(dir, 'channels', 'or-implant-charges.yaml');
    writeFileSync(
      channel,
      readFileSync(channel, 'utf8')
        .replace('port: ${MLLP_PORT:-2575}', 'port: 70000')
        .replace('  maxMessageBytes: 1MiB', '  maxMesageBytes: 1MiB'),
    );
    writeFileSync(join(dir, 'engine.yaml'), readFileSync(join(dir, 'engine.yaml'), 'utf8').replace('  sync: full', '  sync: sometimes'));
    const r = interlace(['validate', '--config', dir]);
    expect(r.code).to.equal(1);
    const lines = r.stderr.trim().split('\n');
    expect(
      lines.some((l) => /or-implant-charges\.yaml:\d+:\d+ \S+: .*70000/.test(l)),
      r.stderr,
    ).to.equal(true);
    expect(
      lines.some((l) => /or-implant-charges\.yaml:\d+:\d+ unknown-key: .*maxMesageBytes/.test(l)),
      r.stderr,
    ).to.equal(true);
    expect(
      lines.some((l) => /engine\.yaml:\d+:\d+ \S+: .*sometimes/.test(l)),
      r.stderr,
    ).to.equal(true);
  });

  it('parses an HL7 message into its tree and canonical documents', () => {
    const r = interlace(['parse', 'samples/hl7/dft-p03-hip-implant.hl7']);
    expect(r.code).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.format).to.equal('hl7v2');
    expect(out.header.controlId).to.equal('OR20261121-0042');
    const usage = out.canonical.find((d: { kind: string }) => d.kind === 'supply-usage');
    expect(usage.lines.map((l: { itemNumber: string }) => l.itemNumber)).to.deep.equal(['100234', '100567', '100890', '100912', '200145']);
  });

  it('exits 1 on a malformed file and names the segment and field', () => {
    const file = join(tmp, 'bad.hl7');
    writeFileSync(file, 'MSH|^~\\&|OR|H|ERP|H|20261121||DFT^P03|C1|P|2.5.1\rPID|1||MRN1\rFT1|1|TX1||20261121||CG||||1\r');
    const r = interlace(['parse', file]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/FT1.*-7.*item/i);
  });

  it('parses an X12 file into interchanges, groups, sets, canonical documents and findings', () => {
    const r = interlace(['parse', 'samples/x12/856/856-sopi-005010.x12']);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.format).to.equal('x12');
    expect(out.header.messageType).to.equal('856');
    expect(out.message.interchanges).to.have.length(1);
    expect(out.canonical.map((d: { kind: string }) => d.kind)).to.deep.equal(['ship-notice']);
    const bad = interlace(['parse', 'samples/x12/bad/wrong-se01.x12']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/SE.*x12-se-count-mismatch/);
  });

  it('summarises an X12 file as counts and findings only', () => {
    const r = interlace(['parse', '--summary', 'samples/x12/bad/wrong-se01.x12']);
    expect(r.code).to.equal(1);
    const out = JSON.parse(r.stdout);
    expect(out).to.include({ interchanges: 1, groups: 1, sets: 2, errors: 1 });
    expect(out.segments).to.be.greaterThan(10);
    expect(out.findings[0].code).to.equal('x12-se-count-mismatch');
  });

  it('prints the 997 it would answer, with the envelope reversed and our own control numbers', () => {
    const r = interlace(['ack', 'samples/x12/bad/wrong-se01.x12']);
    expect(r.code).to.equal(0);
    const segments = r.stdout.trim().split('~').filter(Boolean);
    expect(segments[0]).to.have.length(105); // ISA is 106 characters with its terminator
    // Answered from the identity the interchange addressed (no x12.identities list: every address is ours).
    expect([segments[0]!.split('*')[6]!.trim(), segments[0]!.split('*')[8]!.trim()]).to.deep.equal(['SUPPLIERCO', 'HOSPITALERP']);
    expect(segments.find((x) => x.startsWith('ST*'))).to.match(/^ST\*997\*/);
    expect(segments.filter((x) => x.startsWith('AK5')).map((x) => x.split('*')[1])).to.include('R');
  });

  it('runs a channel offline: prints what each route would send and passes the shipped cases', () => {
    const r = interlace([
      'test',
      'config/channels/or-implant-charges.yaml',
      'samples/hl7/dft-p03-hip-implant.hl7',
      'samples/hl7/adt-a04-register.hl7',
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include('--- route erp-usage (application/json)');
    expect(r.stdout).to.include('"chargeCode": "C-IMP-0101"');
    expect(r.stdout).to.match(/adt-a04-register\.hl7: filtered: only DFT\^P03/);
    expect(r.stdout).to.match(/10 passed, 0 failed/);
  });

  it('passes the cases of every shipped channel (config/ and the examples under samples/)', () => {
    const dirs = ['config/channels', ...readdirSync(join(ROOT, 'samples')).map((d) => join('samples', d, 'channels'))];
    const cases = dirs
      .filter((d) => existsSync(join(ROOT, d)))
      .flatMap((d) => readdirSync(join(ROOT, d)).map((f) => join(d, f)))
      .filter((f) => f.endsWith('.test.yaml'));
    expect(cases).to.include.members([
      'samples/fhir/channels/or-charges-to-fhir.test.yaml',
      'samples/fhir/channels/receipts-to-fhir.test.yaml',
    ]);
    expect(cases.filter((f) => f.startsWith('config/')).length).to.be.greaterThan(0);
    for (const f of cases) {
      const r = interlace(['test', f.replace('.test.yaml', '.yaml')]);
      expect(r.code, `${f}\n${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/\d+ passed, 0 failed/);
    }
  });

  it('exits 1 when a channel test case fails, saying what differed', () => {
    const dir = join(tmp, 'config');
    cpSync(join(ROOT, 'config'), dir, { recursive: true });
    const cases = join(dir, 'channels', 'or-implant-charges.test.yaml');
    writeFileSync(
      cases,
      readFileSync(cases, 'utf8')
        .replaceAll('../../samples', join(ROOT, 'samples'))
        .replace('chargeCode: C-IMP-0102', 'chargeCode: C-WRONG'),
    );
    const r = interlace(['test', join(dir, 'channels', 'or-implant-charges.yaml')]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('expected "C-WRONG", got "C-IMP-0102"');
    expect(r.stdout).to.match(/9 passed, 1 failed/);
  });

  it('sends files over MLLP and prints each ACK', async () => {
    const server = createServer((socket) => {
      const decoder = new FrameDecoder({ maxMessageBytes: 1 << 20 });
      socket.on('data', (chunk) => {
        for (const e of decoder.push(chunk)) {
          if (e.kind !== 'frame') continue;
          const id = /^MSH(?:\|[^|\r]*){8}\|([^|\r]*)/.exec(e.payload.toString('latin1'))?.[1] ?? '';
          socket.write(encodeFrame(Buffer.from(`MSH|^~\\&|ERP|H|OR|H|20261121||ACK|A${id}|P|2.5.1\rMSA|AA|${id}\r`)));
        }
      });
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    // spawned asynchronously: the MLLP server above runs in this process's event loop
    const child = spawn(
      process.execPath,
      [BIN, 'send', `mllp://127.0.0.1:${port}`, 'samples/hl7/adt-a01-admit.hl7', 'samples/hl7/dft-p03-hip-implant.hl7'],
      { cwd: ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const [code] = (await once(child, 'exit')) as [number];
    const r = { code, stdout, stderr };
    server.close();
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('samples/hl7/adt-a01-admit.hl7: AA');
    expect(r.stdout).to.include('MSA|AA|OR20261121-0042');
  });
});
