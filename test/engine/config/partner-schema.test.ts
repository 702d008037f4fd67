import { expect } from 'chai';
import { parseYamlSource, partnerSchema } from '../../../engine/config/index.js';
import { sortDiagnostics } from '../../../engine/config/diagnostics.js';
import { validateFile } from '../../../engine/config/validate.js';

const BASE = [
  'id: acme-medical',
  'name: Acme Medical',
  'isa: { qualifier: 01, id: 0012345678 }',
  'gs: { id: ACMEMED }',
  'version: 004010',
  'transport: { type: file, inbound: ./in, outbound: ./out }',
];

function check(lines: string[]) {
  const yaml = parseYamlSource('partners/p.yaml', `${lines.join('\n')}\n`, { SFTP_PASSWORD: 'pw' });
  expect(yaml.diagnostics).to.deep.equal([]);
  const { value, diagnostics } = validateFile(partnerSchema, yaml, 'the partner');
  return { value, lines: sortDiagnostics(diagnostics).map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`) };
}

describe('config partner schema', () => {
  it('accepts a minimal partner and fills in X12 defaults', () => {
    const { value, lines } = check(BASE);
    expect(lines).to.deep.equal([]);
    expect(value).to.deep.equal({
      id: 'acme-medical',
      name: 'Acme Medical',
      isa: { qualifier: '01', id: '0012345678' },
      gs: { id: 'ACMEMED' },
      version: '004010',
      delimiters: { element: '*', component: ':', repetition: '^', segment: '~' },
      acknowledgments: { expect: '999', send: '999', ta1: 'on-error', deadline: 86_400_000 },
      reconciliation: {
        tolerances: {
          quantity: { absolute: 0, percent: 0 },
          unitPrice: { absolute: 0, percent: 0 },
          extendedAmount: { absolute: 0, percent: 0 },
          total: { absolute: 0, percent: 0 },
        },
      },
      transport: { type: 'file', inbound: './in', outbound: './out' },
      require: [],
    });
  });

  it('reads three-way match tolerances, as numbers or text, and refuses a negative one where it is', () => {
    const { value, lines } = check([
      ...BASE,
      'reconciliation:',
      '  tolerances:',
      '    unitPrice: { absolute: 0.01 }',
      "    total: { absolute: '1.00', percent: 0.5 }",
    ]);
    expect(lines).to.deep.equal([]);
    expect(value!.reconciliation.tolerances).to.deep.include({
      unitPrice: { absolute: 0.01, percent: 0 },
      total: { absolute: 1, percent: 0.5 },
    });
    const bad = check([...BASE, 'reconciliation:', '  tolerances:', '    quantity: { percent: -2 }']);
    expect(bad.lines).to.deep.equal(['9:26 out-of-range: reconciliation.tolerances.quantity.percent cannot be negative']);
  });

  it('takes unquoted 997 and numeric ids as text, and parses deadlines', () => {
    const { value, lines } = check([
      ...BASE.slice(0, 3),
      'gs: { id: 123456 }',
      ...BASE.slice(4),
      'acknowledgments: { expect: 997, send: none, deadline: 2h }',
      'poAckDeadline: 1d',
      'asnDeadline: 36h',
    ]);
    expect(lines).to.deep.equal([]);
    expect(value!.gs.id).to.equal('123456');
    expect(value!.acknowledgments).to.deep.include({ expect: '997', send: 'none', deadline: 7_200_000 });
    expect(value!.poAckDeadline).to.equal(86_400_000);
    expect(value!.asnDeadline).to.equal(36 * 3_600_000);
  });

  it('validates the sftp and as2 transport shapes', () => {
    const sftp = check([
      ...BASE.slice(0, 5),
      'transport:',
      '  type: sftp',
      '  host: sftp.acme.example',
      '  user: hospital',
      '  password: ${SFTP_PASSWORD}',
      '  inbound: /out',
      '  outbound: /in',
    ]);
    expect(sftp.lines).to.deep.equal([]);
    expect(sftp.value!.transport).to.deep.include({
      type: 'sftp',
      host: 'sftp.acme.example',
      password: 'pw',
      pollInterval: 60_000,
      connectTimeout: 20_000,
    });
    const as2 = check([...BASE.slice(0, 5), 'transport: { type: as2, url: "https://as2.acme.example/as2", as2From: HOSP, as2To: ACME }']);
    expect(as2.lines).to.deep.equal([
      '6:1 missing-field: "partnerCert" is missing from transport (as2); expected text',
      '6:1 missing-field: "signCert" is missing from transport (as2); expected the path of our certificate, or sign: none',
      '6:1 missing-field: "signKey" is missing from transport (as2); expected the path of our private key, or sign: none',
    ]);
    const unsigned = check([
      ...BASE.slice(0, 5),
      'transport: { type: as2, url: "https://as2.acme.example/as2", as2From: HOSP, as2To: ACME, partnerCert: acme.crt, sign: none, encryption: 3des }',
    ]);
    expect(unsigned.lines).to.deep.equal([]);
    expect(unsigned.value!.transport).to.deep.include({ sign: 'none', encryption: '3des', compress: 'none', mdn: 'sync', mdnSigned: true });
  });

  it('reports every problem of a bad partner at once', () => {
    const { value, lines } = check([
      'id: ACME',
      'name: Acme',
      'isa: { qualifier: ZZZ, id: "1234567890123456" }',
      'gs: { id: A }',
      'version: 5010',
      'delimiters: { element: "*", segment: "*" }',
      'acknowledgments: { expect: 998, ta1: sometimes, deadline: soon }',
      'transport: { type: sftp, host: h, user: u, inbound: a, outbound: b, prot: 22 }',
    ]);
    expect(value).to.equal(undefined);
    expect(lines).to.deep.equal([
      '1:5 invalid-format: partner id must be kebab-case (lower-case letters, digits and single dashes, e.g. or-implant-charges); got "ACME"',
      '3:19 out-of-range: isa.qualifier must be 2 characters (ZZ, 01, 12…)',
      '3:28 out-of-range: isa.id is at most 15 characters (ISA06/ISA08)',
      '4:11 out-of-range: gs.id: at least 2 characters expected, got 1',
      '5:10 invalid-value: version: expected one of 004010, 005010; got 5010',
      '6:38 invalid-value: delimiters.segment is "*", the same as delimiters.element; each delimiter must differ',
      '7:28 invalid-value: acknowledgments.expect: expected one of 997, 999, none; got 998',
      '7:38 invalid-value: acknowledgments.ta1: expected one of always, on-error, never; got "sometimes"',
      '7:59 invalid-duration: "soon" is not a duration; expected e.g. 500ms, 10s, 5m, 24h or 7d',
      '8:1 missing-field: transport (sftp): give keyPath (a private key file) or password (${ENV})',
      '8:69 unknown-key: "prot" is not a field of transport (sftp); expected one of type, url, host, port, user, keyPath, keyPassphrase, password, hostKey, connectTimeout, inbound, outbound, pollInterval (did you mean "port"?)',
    ]);
  });

  it('reports an unknown transport type with the registered ones', () => {
    const { lines } = check([...BASE.slice(0, 5), 'transport: { type: ftp }']);
    expect(lines).to.deep.equal(['6:20 unknown-type: "ftp" is not a transport type; expected one of file, sftp, as2']);
  });

  it('reports a missing transport and version', () => {
    const { lines } = check(BASE.slice(0, 4));
    expect(lines).to.deep.equal([
      '1:1 missing-field: "version" is missing from the partner; expected one of 004010, 005010',
      '1:1 missing-field: "transport" is missing from the partner; expected a mapping (key: value lines)',
    ]);
  });
});
