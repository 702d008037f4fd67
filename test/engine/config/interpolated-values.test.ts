import { expect } from 'chai';
import { buildChannelSchema, engineSchema, parseYamlSource, partnerSchema, type Env } from '../../../engine/config/index.js';
import { validateFile } from '../../../engine/config/validate.js';
import { defaultRegistry } from '../../../engine/config/registry.js';
import type { z } from 'zod';

/** Validates YAML text as the loader does (interpolation, then the schema); the value and every problem as `line:column code: message`. */
function check(schema: z.ZodType, src: string, env: Env) {
  const yaml = parseYamlSource('x.yaml', src, env);
  const { value, diagnostics } = validateFile(schema, yaml, 'the file');
  return { value: value as any, lines: [...yaml.diagnostics, ...diagnostics].map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`) };
}

const channel = buildChannelSchema(defaultRegistry);
const ROUTE = 'routes:\n  - name: erp\n    destination: { type: http, url: "http://erp.local/x" }\n';

describe('${VAR} values are read as numbers and booleans where the schema expects one, in every file kind', () => {
  it('channel: source, parse, route and destination fields, from the default or from the environment', () => {
    const src = [
      'name: a',
      'enabled: ${ENABLED:-true}',
      'parse: { format: hl7v2, strict: ${STRICT:-false} }',
      'source:',
      '  type: mllp',
      '  port: ${MLLP_PORT:-2575}',
      '  maxConnections: ${MAXC:-50}',
      '  tls: { enabled: ${TLS:-false} }',
      'routes:',
      '  - name: erp',
      '    concurrency: ${CONC:-4}',
      '    destination: { type: mllp, host: erp.local, port: ${ERP_PORT}, connections: ${CONNS:-2}, ordered: ${ORDERED:+true} }',
      '',
    ].join('\n');
    const defaults = check(channel, src, { ERP_PORT: '6661' });
    expect(defaults.lines).to.deep.equal([]);
    expect(defaults.value.enabled).to.equal(true);
    expect(defaults.value.parse.strict).to.equal(false);
    expect(defaults.value.source).to.deep.include({ port: 2575, maxConnections: 50 });
    expect(defaults.value.source.tls.enabled).to.equal(false);
    expect(defaults.value.routes[0].concurrency).to.equal(4);
    expect(defaults.value.routes[0].destination).to.deep.include({ port: 6661, connections: 2, ordered: false });

    const set = check(channel, src, {
      ENABLED: 'false',
      STRICT: 'true',
      MAXC: '7',
      TLS: 'false',
      CONC: '1',
      ERP_PORT: '6662',
      CONNS: '1',
      ORDERED: 'yes',
    });
    expect(set.lines).to.deep.equal([]);
    expect(set.value.enabled).to.equal(false);
    expect(set.value.parse.strict).to.equal(true);
    expect(set.value.source.maxConnections).to.equal(7);
    expect(set.value.routes[0].destination).to.deep.include({ port: 6662, ordered: true });
  });

  it('engine.yaml: numbers and booleans', () => {
    const src = [
      'engine: { id: e, processingNice: ${NICE:-5} }',
      'admin: { port: ${ADMIN_PORT:-8470}, token: "${TOKEN}" }',
      'logging: { logPayloads: ${LOG_PAYLOADS:-false} }',
      '',
    ].join('\n');
    const { value, lines } = check(engineSchema, src, { TOKEN: 'x'.repeat(32), ADMIN_PORT: '9000' });
    expect(lines).to.deep.equal([]);
    expect(value.engine.processingNice).to.equal(5);
    expect(value.admin.port).to.equal(9000);
    expect(value.logging.logPayloads).to.equal(false);
  });

  it('partners/*.yaml: numbers and booleans inside a transport', () => {
    const base = ['id: acme', 'name: Acme', 'isa: { qualifier: ZZ, id: ACME }', 'gs: { id: ACME }', 'version: "004010"'];
    const sftp = check(
      partnerSchema,
      [
        ...base,
        'transport: { type: sftp, host: h, port: ${SFTP_PORT:-2222}, user: u, password: "${PW}", inbound: /in, outbound: /out }',
        '',
      ].join('\n'),
      { PW: 'secret' },
    );
    expect(sftp.lines).to.deep.equal([]);
    expect(sftp.value.transport.port).to.equal(2222);
    const as2 = check(
      partnerSchema,
      [
        ...base,
        'transport:',
        '  type: as2',
        '  url: https://as2.acme.example/as2',
        '  as2From: HOSP',
        '  as2To: ACME',
        '  partnerCert: ./acme.crt',
        '  sign: none',
        '  mdnSigned: ${MDN_SIGNED:-false}',
        '',
      ].join('\n'),
      {},
    );
    expect(as2.lines).to.deep.equal([]);
    expect(as2.value.transport.mdnSigned).to.equal(false);
  });

  it('text that is not a number or a boolean is refused with the field, the value as written and what was expected', () => {
    const src = `name: a\nenabled: \${ON:-yes}\nsource: { type: mllp, port: \${P:-2575}, maxConnections: \${X:-abc} }\n${ROUTE}    concurrency: \${C:-}\n`;
    expect(check(channel, src, {}).lines).to.deep.equal([
      '2:10 invalid-type: enabled: expected true or false, got "yes" (from "${ON:-yes}")',
      '3:57 invalid-type: source.maxConnections: expected a number, got "abc" (from "${X:-abc}")',
      '7:18 invalid-type: routes[0].concurrency: expected a number, got "" (from "${C:-}")',
    ]);
    expect(check(channel, `name: a\nsource: { type: mllp, port: \${P:-70000} }\n${ROUTE}`, {}).lines).to.deep.equal([
      '2:29 invalid-port: 70000 is not a port (0–65535)',
    ]);
  });

  it('leaves text fields alone: a digits-only ${VAR} stays text where text is expected', () => {
    const { value, lines } = check(channel, `name: a\nsource: { type: mllp, port: 1, host: \${HOST:-10} }\n${ROUTE}`, {});
    expect(lines).to.deep.equal([]);
    expect(value.source.host).to.equal('10');
  });
});
