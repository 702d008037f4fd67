import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeFrame } from '../../../channels/mllp/framing.js';
import { hl7, RecordingContext, startSource } from './support.js';

const run = promisify(execFile);

/** Debian's python3-hl7 ships `mllp_send`: an MLLP client nobody here wrote. */
const mllpSend = (() => {
  try {
    execFileSync('mllp_send', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('mllp source with an independent peer (python3-hl7 mllp_send)', function () {
  before(function () {
    if (!mllpSend) {
      console.log('    skipped: mllp_send is not installed (apt-get install -y python3-hl7)');
      this.skip();
    }
  });

  it('stores what mllp_send sends and mllp_send prints our AA for each message', async () => {
    const ctx = new RecordingContext();
    const { source, port } = await startSource(ctx);
    const dir = mkdtempSync(join(tmpdir(), 'mllp-send-'));
    try {
      const file = join(dir, 'messages.hl7');
      writeFileSync(file, Buffer.concat(['PEER-1', 'PEER-2'].map((id) => encodeFrame(Buffer.from(hl7(id), 'latin1')))));
      const { stdout } = await run('mllp_send', ['-p', String(port), '-f', file, '127.0.0.1'], { timeout: 15_000 });
      expect(stdout).to.include('MSA|AA|PEER-1').and.include('MSA|AA|PEER-2');
      expect(ctx.inputs.map((i) => i.controlId)).to.deep.equal(['PEER-1', 'PEER-2']);
      // mllp_send strips the CR after the last segment before framing; the rest arrives byte for byte.
      expect(ctx.inputs[0]!.raw.toString('latin1')).to.equal(hl7('PEER-1').replace(/\r$/, ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await source.stop();
    }
  });
});
