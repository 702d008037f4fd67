import { expect } from 'chai';
import { z } from 'zod';
import { mllp, mllpSourceSchema } from '../../../channels/mllp/index.js';

describe('mllp source config', () => {
  it('applies the documented defaults', () => {
    const c = mllpSourceSchema.parse({ type: 'mllp', port: 2575 });
    expect(c).to.deep.include({
      host: '127.0.0.1',
      port: 2575,
      maxMessageBytes: 1024 * 1024,
      maxConnections: 100,
      maxConnectionsPerAddress: 10,
      frameTimeout: 30_000,
      encoding: 'latin1',
    });
    expect(c.idleTimeout).to.equal(300_000);
    expect(c.tls.enabled).to.equal(false);
    expect(mllp.type).to.equal('mllp');
  });

  it('reads sizes and durations with units', () => {
    const c = mllpSourceSchema.parse({ type: 'mllp', port: 0, maxMessageBytes: '512KiB', idleTimeout: '30s', drainTimeout: '2s' });
    expect([c.maxMessageBytes, c.idleTimeout, c.drainTimeout]).to.deep.equal([512 * 1024, 30_000, 2000]);
  });

  it('refuses unknown keys, bad ports and TLS without a certificate, naming each', () => {
    const r = mllpSourceSchema.safeParse({ type: 'mllp', port: 70000, hots: 'x', tls: { enabled: true } });
    expect(r.success).to.equal(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(issues)
      .to.match(/port: a port is 0–65535/)
      .and.match(/hots/);
    const t = mllpSourceSchema.safeParse({ type: 'mllp', port: 1, tls: { enabled: true } });
    expect(t.error!.issues.map((i) => i.message).join()).to.include('tls.cert or tls.key is missing');
  });

  it('describes every field, so the generated docs and editor schema have words for each', () => {
    const schema = z.toJSONSchema(mllpSourceSchema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, { description?: string }>;
    };
    const missing = Object.entries(schema.properties)
      .filter(([, p]) => !p.description)
      .map(([k]) => k);
    expect(missing).to.deep.equal([]);
    expect(Object.keys(schema.properties)).to.include.members([
      'type',
      'host',
      'port',
      'maxMessageBytes',
      'maxConnections',
      'idleTimeout',
      'tls',
      'encoding',
    ]);
  });
});
