import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../engine/runtime/engine.js';
import { silentLogger } from '../../lib/log.js';
import { freePort } from '../../lib/net.js';
import { getRedis, uniquePrefix, type TestRedis } from '../support/redis.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The shell block of a README section, as a reader copies it. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`## ${heading}`));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error(`README.md has no sh block under "## ${heading}"`);
  return m[1]!;
}

/**
 * README.md "Sending the engine an AS2 message", run as written (port and scratch folder changed)
 * against the shipped configuration started with AS2_PORT: the sample partner's test-only keys,
 * `openssl cms` playing the partner, and our MDN verified by openssl with the MIC it names.
 */
describe('README: the AS2 commands against the shipped sample configuration', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  let engine: Engine | undefined;
  let tmp: string;
  before(async () => {
    redis = await getRedis();
    tmp = mkdtempSync(join(tmpdir(), 'interlace-readme-as2-'));
  });
  after(async () => {
    await engine?.stop();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the sample AS2 partner is off without AS2_PORT, and with it accepts the openssl-built message and answers a signed processed MDN with the right MIC', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: redis.url,
      INTERLACE_DATA: join(tmp, 'var'),
      ADMIN_PORT: '0',
      INTERLACE_LOG_LEVEL: 'fatal',
      ERP_URL: 'http://127.0.0.1:9',
      FHIR_URL: 'http://127.0.0.1:9/fhir',
      SUPPLY_URL: 'http://127.0.0.1:9/supply',
    };
    // The shipped configuration as is, but with queues of its own on the shared Redis.
    const configDir = join(tmp, 'config');
    cpSync(join(ROOT, 'config'), configDir, { recursive: true });
    const engineYaml = parseDocument(readFileSync(join(configDir, 'engine.yaml'), 'utf8'));
    engineYaml.setIn(['redis', 'prefix'], uniquePrefix());
    engineYaml.setIn(['redis', 'supervise'], 'never');
    writeFileSync(join(configDir, 'engine.yaml'), engineYaml.toString());
    const off = await Engine.start({ configDir, env, log: silentLogger });
    const offChannels = [...off.channels.keys()];
    await off.stop();
    expect(offChannels).to.not.include('northwind-as2-inbound');

    engine = await Engine.start({ configDir, env: { ...env, AS2_PORT: String(port) }, log: silentLogger });
    expect([...engine.channels.keys()]).to.include('northwind-as2-inbound');
    const script = readmeBlock('Sending the engine an AS2 message')
      .replaceAll('http://127.0.0.1:4080/', `http://127.0.0.1:${port}/`)
      .replaceAll('/tmp/', `${tmp}/`);
    // Asynchronously: the engine answering the request runs in this process.
    const { stdout: out } = await promisify(execFile)('bash', ['-e', '-c', script], { cwd: ROOT, encoding: 'latin1', timeout: 120_000 });
    const lines = out.trimEnd().split('\n');
    const mic = lines[lines.length - 1]!.trim();
    expect(mic).to.match(/^[A-Za-z0-9+/]{43}=$/);
    expect(out).to.include('Disposition: automatic-action/MDN-sent-automatically; processed\r\n');
    expect(out).to.include(`Received-Content-MIC: ${mic}, sha-256`);
    const stored = await engine.store.listMessages({ channel: 'northwind-as2-inbound' });
    expect(stored).to.have.length(1);
    expect(stored[0]).to.deep.include({ sender: 'NORTHWIND-AS2' });
    const raw = (await engine.store.getRaw(stored[0]!.id))!.raw;
    expect(raw.equals(readFileSync(join(ROOT, 'samples/as2/northwind-856.x12')))).to.equal(true);
  });
});
