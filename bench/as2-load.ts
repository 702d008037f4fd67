/**
 * AS2 receive load: the engine's AS2 receiver (the shipped `northwind-as2-inbound` channel, on when
 * AS2_PORT is set) gets signed (sha-256) + encrypted (AES-256) messages of a 100 KB X12 payload, each
 * asking for a signed synchronous MDN, over `connections` concurrent connections. The messages are
 * built before the clock starts (with the shipped test-only certificates: Northwind signs, we decrypt),
 * so the figure is the receiver's: decrypt, verify, store (fsync), sign the MDN, answer.
 *
 *   node bin/run-ts.js bench/as2-load.ts PORT [MESSAGES] [CONNECTIONS]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadCertificate, loadIdentity, pack, readMdn } from '../lib/as2/index.js';
import { figure, summarize } from './figures.js';

/** An 850 of about `bytes` bytes from the sample partner Northwind Surgical (ISA13 = n). */
function payload(n: number, bytes: number): Buffer {
  const isa13 = String(n).padStart(9, '0');
  const head = `ISA*00*          *00*          *ZZ*NORTHWINDSURG  *ZZ*INTERLACEHOSP  *261204*2315*U*00401*${isa13}*0*P*>~\nGS*PO*NORTHWIND*INTERLACE*20261204*2315*${n}*X*004010~\nST*850*0001~\nBEG*00*SA*BENCH-${n}**20261204~\n`;
  const lines: string[] = [];
  let size = head.length;
  for (let i = 1; size < bytes - 80; i++) {
    const line = `PO1*${i}*1*EA*10.00**VP*ITEM-${String(i).padStart(6, '0')}*IN*${String(100000 + i)}~\n`;
    lines.push(line);
    size += line.length;
  }
  const tail = `CTT*${lines.length}~\nSE*${lines.length + 4}*0001~\nGE*1*${n}~\nIEA*1*${isa13}~\n`;
  return Buffer.from(head + lines.join('') + tail, 'latin1');
}

export type As2LoadResult = { processed: number; refused: number; failed: number; seconds: number };

export async function runAs2Load(o: {
  root: string;
  port: number;
  messages: number;
  connections: number;
  runId: string;
  payloadBytes?: number;
  report?: boolean;
}): Promise<As2LoadResult> {
  const certs = join(o.root, 'config', 'certs');
  const partner = loadIdentity(readFileSync(join(certs, 'northwind-as2.crt')), readFileSync(join(certs, 'northwind-as2.key')), 'northwind');
  const us = loadCertificate(readFileSync(join(certs, 'hospital-as2.crt')));
  const messages = Array.from({ length: o.messages }, (_, i) =>
    pack({
      payload: payload(i + 1, o.payloadBytes ?? 100 * 1024),
      contentType: 'application/edi-x12',
      fileName: `bench-${i + 1}.x12`,
      sign: { identity: partner, digest: 'sha256' },
      encrypt: { recipient: us, cipher: 'aes-256-cbc' },
    }),
  );
  const url = `http://127.0.0.1:${o.port}/as2`;
  const latencies: number[] = [];
  const result = { processed: 0, refused: 0, failed: 0, seconds: 0 };
  let next = 0;
  let checked = false;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= messages.length) return;
      const m = messages[i]!;
      const started = performance.now();
      try {
        const res = await fetch(url, {
          method: 'POST',
          body: new Uint8Array(m.entity.body),
          headers: {
            'as2-version': '1.2',
            'as2-from': 'NORTHWIND-AS2',
            'as2-to': 'INTERLACE-HOSPITAL',
            'message-id': `<${o.runId}-${i}-${Date.now()}@bench>`,
            'content-type': m.entity.headers[0]![1],
            'disposition-notification-to': 'bench@northwind.example',
            'disposition-notification-options':
              'signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, sha-256',
          },
        });
        const body = Buffer.from(await res.arrayBuffer());
        latencies.push(performance.now() - started);
        if (res.status !== 200 || body.length === 0) {
          result.failed++;
          continue;
        }
        if (!checked) {
          // The first MDN is read in full (signature and MIC), so the figure is for real, signed MDNs.
          checked = true;
          const mdn = readMdn([['Content-Type', res.headers.get('content-type') ?? '']], body, { partner: [us], requireSigned: true });
          if (!mdn.processed || mdn.mic?.value !== m.mics.sha256)
            throw new Error(`the first MDN is not a processed MDN with our MIC: ${mdn.disposition}`);
        }
        if (/processed\/error|failed/.test(body.toString('latin1'))) result.refused++;
        else result.processed++;
      } catch (err) {
        if (!checked) throw err;
        result.failed++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: o.connections }, worker));
  result.seconds = (performance.now() - t0) / 1000;
  if (o.report === false) return result;
  const s = summarize(latencies);
  figure('as2_receive_rate', Math.round((result.processed / result.seconds) * 10) / 10, 'msg/s');
  figure('as2_receive_p50_ms', s.p50, 'ms');
  figure('as2_receive_p99_ms', s.p99, 'ms');
  figure('as2_receive_refused', result.refused, 'messages');
  figure('as2_receive_failed', result.failed, 'messages');
  return result;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv[2]) {
  await runAs2Load({
    root: join(import.meta.dirname, '..'),
    port: Number(process.argv[2]),
    messages: Number(process.argv[3] ?? 200),
    connections: Number(process.argv[4] ?? 4),
    runId: 'cli',
  });
}
