import { expect } from 'chai';
import { z } from 'zod';
import { acceptsMediaType, constantTimeEqual, http, httpSourceSchema } from '../../../channels/http/index.js';

describe('http source config', () => {
  it('applies the documented defaults', () => {
    const c = httpSourceSchema.parse({ type: 'http', port: 8080 });
    expect(c).to.deep.include({
      host: '127.0.0.1',
      port: 8080,
      path: '/',
      methods: ['POST'],
      maxBodyBytes: 10 * 1024 * 1024,
      auth: { type: 'none' },
      contentTypes: ['*/*'],
      controlIdHeader: 'X-Message-Id',
      headersTimeout: 10_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 5000,
      drainTimeout: 10_000,
      retryAfter: 30_000,
      maxConnections: 256,
      maxConnectionsPerAddress: 10,
    });
    expect(c.senderHeader).to.equal(undefined);
    expect(c.tls.enabled).to.equal(false);
    expect(http.type).to.equal('http');
  });

  it('refuses unknown keys, bad paths, methods, media types, header names and timeouts, naming each', () => {
    const r = httpSourceSchema.safeParse({
      type: 'http',
      port: 1,
      pth: '/x',
      path: 'inbound',
      methods: ['GET'],
      contentTypes: ['json'],
      senderHeader: 'X Sender',
      headersTimeout: '2m',
      requestTimeout: '1m',
      auth: { type: 'bearer' },
    });
    expect(r.success).to.equal(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(issues).to.include('pth');
    expect(issues).to.include('path: path must start with /');
    expect(issues).to.match(/methods\.0: /);
    expect(issues).to.include('contentTypes.0: contentTypes entries must be media types');
    expect(issues).to.include('senderHeader: senderHeader must be an HTTP header name');
    expect(issues).to.include('auth.token');
    const t = httpSourceSchema.safeParse({ type: 'http', port: 1, headersTimeout: '2m', requestTimeout: '1m', tls: { enabled: true } });
    const messages = t.error!.issues.map((i) => i.message).join('\n');
    expect(messages).to.include('headersTimeout (120000ms) is longer than requestTimeout (60000ms)');
    expect(messages).to.include('tls.cert or tls.key is missing');
  });

  it('describes every field, so the generated docs and editor schema have words for each', () => {
    const schema = z.toJSONSchema(httpSourceSchema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, { description?: string }>;
    };
    const missing = Object.entries(schema.properties)
      .filter(([, p]) => !p.description)
      .map(([k]) => k);
    expect(missing).to.deep.equal([]);
  });

  it('matches media types and ranges, and compares secrets whatever their length', () => {
    expect(acceptsMediaType(['application/json'], 'application/json')).to.equal(true);
    expect(acceptsMediaType(['application/json'], 'application/jsonx')).to.equal(false);
    expect(acceptsMediaType(['text/*'], 'text/csv')).to.equal(true);
    expect(acceptsMediaType(['text/*'], 'textual/csv')).to.equal(false);
    expect(acceptsMediaType(['*/*'], undefined)).to.equal(true);
    expect(acceptsMediaType(['text/*'], undefined)).to.equal(false);
    expect([constantTimeEqual('abc', 'abc'), constantTimeEqual('abc', 'abcd'), constantTimeEqual('', 'a')]).to.deep.equal([
      true,
      false,
      false,
    ]);
  });
});
