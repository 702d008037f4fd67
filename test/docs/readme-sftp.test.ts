import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { Engine } from '../../engine/runtime/engine.js';
import { silentLogger } from '../../lib/log.js';
import { parseX12 } from '../../parsers/x12/index.js';
import { getRedis, uniquePrefix, type TestRedis } from '../support/redis.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A sample 856 as Summit Surgical (ZZ SUMMITSURG) sends it to us (ZZ INTERLACEHOSP), envelope widths kept. */
function summit856(): string {
  return readFileSync(join(ROOT, 'samples/x12/856/856-sopi-005010.x12'), 'latin1')
    .replace('*ZZ*NWMEDSUPPLY    *ZZ*LAKESHOREGEN   *', '*ZZ*SUMMITSURG     *ZZ*INTERLACEHOSP  *')
    .replace('*NWMEDSUPPLY*LAKESHOREGEN*', '*SUMMITSURG*INTERLACE*');
}

/**
 * README.md "Exchanging files with a partner's SFTP server": the shipped sample partner Summit
 * Surgical, off until SFTP_URL is set, then polling a real OpenSSH server with SFTP_KEY and the pinned
 * SFTP_HOST_KEY, and answering each interchange with a 999 uploaded to the partner's folder. Only the
 * sample channel's timings are shortened (stableFor, pollInterval) so the test does not wait minutes.
 */
describe('README: the sample SFTP partner against OpenSSH, turned on by SFTP_URL / SFTP_KEY / SFTP_HOST_KEY', function () {
  this.timeout(180_000);
  let redis: TestRedis;
  let sshd: TestSshd;
  let engine: Engine | undefined;
  let tmp: string;
  before(async () => {
    redis = await getRedis();
    sshd = await startSshd();
    tmp = mkdtempSync(join(tmpdir(), 'interlace-readme-sftp-'));
  });
  after(async () => {
    await engine?.stop();
    await sshd?.stop();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stores what the partner put in its folder, removes it there, and uploads the 999 into the folder the partner reads', async () => {
    const configDir = join(tmp, 'config');
    cpSync(join(ROOT, 'config'), configDir, { recursive: true });
    const engineYaml = parseDocument(readFileSync(join(configDir, 'engine.yaml'), 'utf8'));
    engineYaml.setIn(['redis', 'prefix'], uniquePrefix());
    engineYaml.setIn(['redis', 'supervise'], 'never');
    writeFileSync(join(configDir, 'engine.yaml'), engineYaml.toString());
    const channelFile = join(configDir, 'channels', 'summit-sftp-inbound.yaml');
    const channel = parseDocument(readFileSync(channelFile, 'utf8'));
    channel.setIn(['source', 'complete', 'stableFor'], '500ms');
    channel.setIn(['source', 'pollInterval'], '1s');
    writeFileSync(channelFile, channel.toString());

    const outbound = join(sshd.root, 'outbound');
    const inbound = join(sshd.root, 'inbound');
    mkdirSync(outbound);
    mkdirSync(inbound);
    writeFileSync(join(outbound, 'asn-1.x12'), summit856());
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
    const off = await Engine.start({ configDir, env, log: silentLogger });
    const offChannels = [...off.channels.keys()];
    await off.stop();
    expect(offChannels).to.not.include('summit-sftp-inbound');

    engine = await Engine.start({
      configDir,
      env: {
        ...env,
        SFTP_URL: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${outbound}`,
        SFTP_KEY: sshd.userKey,
        SFTP_HOST_KEY: sshd.hostFingerprint,
        SFTP_INBOUND: outbound,
        SFTP_OUTBOUND: inbound,
      },
      log: silentLogger,
    });
    expect([...engine.channels.keys()]).to.include('summit-sftp-inbound');
    const end = Date.now() + 60_000;
    while (readdirSync(inbound).length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    const stored = await engine.store.listMessages({ channel: 'summit-sftp-inbound' });
    expect(stored.map((m) => [m.controlId, m.sender])).to.deep.equal([['000000302', 'SUMMITSURG']]);
    expect(readdirSync(outbound), 'the partner file was removed once stored').to.deep.equal([]);
    const answers = readdirSync(inbound);
    expect(answers).to.have.length(1);
    const ack = parseX12(readFileSync(join(inbound, answers[0]!))).message!.interchanges[0]!;
    expect([ack.header.senderId.trim(), ack.header.receiverId.trim(), ack.groups[0]!.sets[0]!.id]).to.deep.equal([
      'INTERLACEHOSP',
      'SUMMITSURG',
      '999',
    ]);
  });
});
