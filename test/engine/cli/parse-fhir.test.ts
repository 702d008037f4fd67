import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function interlace(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/interlace.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('interlace parse: FHIR', function () {
  this.timeout(90_000);

  it('reads FHIR XML (detected) into the resource and its canonical documents, exit 0', () => {
    const r = interlace(['parse', 'samples/fhir/device-udi.xml']);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out).to.deep.include({ format: 'fhir', header: { messageType: 'Device', version: 'R4', controlId: 'IMPL-000981' } });
    expect(out.message.udiCarrier[0].deviceIdentifier).to.equal('00884521654321');
    expect(out.canonical[0]).to.deep.include({ kind: 'device', lot: 'K22A', expiresOn: '2031-01-15' });
  });

  it('names each invalid element on stderr and exits 1', () => {
    const r = interlace(['parse', '--format', 'fhir', 'samples/fhir/chargeitem-invalid.json']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain(
      'samples/fhir/chargeitem-invalid.json: fhir-invalid: ChargeItem.quantity.value: Invalid JSON type: expected number, but got string',
    );
    expect(r.stderr).to.match(/ChargeItem\.status: "posted" is not in the required value set/);
    expect(r.stderr).to.not.match(/\n\s+at /);
  });
});
