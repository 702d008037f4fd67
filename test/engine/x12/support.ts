import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseX12, writeInterchange, type X12Document } from '../../../parsers/x12/index.js';

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Files of a directory (not hidden) matching `re`, sorted. */
export function filesIn(dir: string, re: RegExp): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && re.test(n))
    .sort();
}

export function parseFile(path: string): X12Document {
  const parsed = parseX12(readFileSync(path));
  if (!parsed.message) throw new Error(`${path} is not X12`);
  return parsed.message;
}

/** A functional acknowledgment from the partner ACMEMEDICAL to us, as it would drop it. */
export function partnerAck(options: {
  kind: '997' | '999';
  isa13: number;
  gs06: string;
  sets: Array<{
    st02: string;
    status: 'A' | 'E' | 'R';
    codes?: string[];
    errors?: Array<{ segment: string; position: number; code: string; element?: { position: string; code: string } }>;
  }>;
  group: 'A' | 'E' | 'P' | 'R';
}): string {
  const k = options.kind;
  const rows: string[][] = [k === '997' ? ['AK1', 'PO', options.gs06] : ['AK1', 'PO', options.gs06, '004010']];
  for (const s of options.sets) {
    rows.push(['AK2', '850', s.st02]);
    for (const e of s.errors ?? []) {
      rows.push([k === '997' ? 'AK3' : 'IK3', e.segment, String(e.position), '', e.code]);
      if (e.element) rows.push([k === '997' ? 'AK4' : 'IK4', e.element.position, '', e.element.code]);
    }
    rows.push([k === '997' ? 'AK5' : 'IK5', s.status, ...(s.codes ?? [])]);
  }
  const accepted = options.sets.filter((s) => s.status !== 'R').length;
  rows.push(['AK9', options.group, String(options.sets.length), String(options.sets.length), String(accepted)]);
  return writeInterchange({
    sender: { qualifier: 'ZZ', id: 'ACMEMEDICAL' },
    receiver: { qualifier: 'ZZ', id: 'INTERLACEHOSP' },
    controlNumber: options.isa13,
    usageIndicator: 'P',
    ackRequested: false,
    version: k === '999' ? '00501' : '00401',
    delimiters: { element: '*', component: '>', repetition: '^', segment: '~' },
    segmentSuffix: '\n',
    groups: [
      {
        functionalId: 'FA',
        senderCode: 'ACMEMED',
        receiverCode: 'INTERLACE',
        controlNumber: options.isa13,
        version: k === '999' ? '005010X231A1' : '004010',
        sets: [{ id: k, controlNumber: 1, segments: rows }],
      },
    ],
  });
}

/** A TA1-only interchange from the partner answering our ISA13. */
export function partnerTa1(isa13: number, answered: string, status: 'A' | 'E' | 'R', note: string): string {
  return writeInterchange({
    sender: { qualifier: 'ZZ', id: 'ACMEMEDICAL' },
    receiver: { qualifier: 'ZZ', id: 'INTERLACEHOSP' },
    controlNumber: isa13,
    usageIndicator: 'P',
    ackRequested: false,
    version: '00401',
    delimiters: { element: '*', component: '>', segment: '~' },
    interchangeSegments: [['TA1', answered, '261121', '1430', status, note]],
    groups: [],
  });
}

export type FlowDirs = { root: string; config: string; data: string; inbound: string; outbound: string };

/**
 * A config directory for the flow tests: our identity, the partner acme-medical (file transport in
 * the temp dir), an http channel that turns a posted X12 850 into a route to the x12 destination,
 * and the partner's inbound drop channel routing 856/810 to `sinkUrl`.
 */
export function writeFlowConfig(o: {
  redisUrl: string;
  prefix: string;
  sinkUrl: string;
  poAckDeadline: string;
  token: string;
  /** The partner's `require:` (elements its implementation guide makes mandatory). */
  require?: string[];
}): FlowDirs {
  const root = mkdtempSync(join(tmpdir(), 'interlace-x12flow-'));
  const dirs = {
    root,
    config: join(root, 'config'),
    data: join(root, 'data'),
    inbound: join(root, 'edi', 'in'),
    outbound: join(root, 'edi', 'out'),
  };
  for (const d of [join(dirs.config, 'channels'), join(dirs.config, 'partners'), dirs.data]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(dirs.config, 'engine.yaml'),
    `engine: { id: x12-flow-test, dataDir: ${JSON.stringify(dirs.data)} }
redis: { url: ${JSON.stringify(o.redisUrl)}, prefix: ${o.prefix}, supervise: never }
store: { sync: normal }
admin: { host: 127.0.0.1, port: 0, token: ${o.token} }
x12: { interchangeId: INTERLACEHOSP, qualifier: ZZ, applicationCode: INTERLACE, defaultAck: '997' }
logging: { level: fatal }
`,
  );
  writeFileSync(
    join(dirs.config, 'partners', 'acme-medical.yaml'),
    `id: acme-medical
name: Acme Medical Supply (test)
isa: { qualifier: ZZ, id: ACMEMEDICAL }
gs: { id: ACMEMED }
version: '004010'
delimiters: { element: '*', component: '>', segment: '~' }
acknowledgments: { expect: '997', deadline: 24h, send: '997', ta1: on-error }
poAckDeadline: ${o.poAckDeadline}
transport: { type: file, inbound: ${JSON.stringify(dirs.inbound)}, outbound: ${JSON.stringify(dirs.outbound)} }
duplicateWindow: 30d
${o.require ? `require: ${JSON.stringify(o.require)}\n` : ''}`,
  );
  writeFileSync(
    join(dirs.config, 'channels', 'po-out.yaml'),
    `name: po-out
source: { type: http, host: 127.0.0.1, port: 0, path: /po, contentTypes: [application/json] }
parse: { format: json }
routes:
  - name: acme-850
    body: { json: "$doc('purchase-order')" }
    destination: { type: x12, partner: acme-medical, set: '850' }
    retry: { attempts: 3, delay: 100ms }
`,
  );
  writeFileSync(
    join(dirs.config, 'channels', 'acme-in.yaml'),
    `name: acme-in
source:
  type: file
  directory: ${JSON.stringify(dirs.inbound)}
  pattern: '*.x12'
  pollInterval: 100ms
  minAge: 0ms
  split: x12-interchange
  acknowledge: { directory: ${JSON.stringify(dirs.outbound)} }
parse: { format: x12 }
transforms:
  - filter: { when: "$exists($doc('ship-notice')) or $exists($doc('invoice')) or $exists($doc('po-ack'))", reason: acknowledgment }
routes:
  - name: erp-receiving
    when: "$exists($doc('ship-notice'))"
    body: { json: "$doc('ship-notice')" }
    destination: { type: http, url: ${JSON.stringify(o.sinkUrl + '/receiving')} }
    retry: { attempts: 3, delay: 100ms }
`,
  );
  return dirs;
}
