import { fileURLToPath } from 'node:url';
import { as2 } from '../channels/as2/index.js';
import type { Source } from '../channels/types.js';
import { loadCertificate, loadIdentity, pack, type CipherName, type DigestName } from '../lib/as2/index.js';
import { readFileSync } from 'node:fs';
import { mutate, type Rng } from './mutate.js';
import type { FuzzStore } from './store.js';

const CERTS = fileURLToPath(new URL('../config/certs/', import.meta.url));
const CHANNEL = 'fuzz-as2';
const US = 'INTERLACE-HOSPITAL';
/** The partner of the sample configuration: must sign and encrypt. */
const STRICT = 'NORTHWIND-AS2';
/** The same certificate under a name that may send plain messages, so that mutated plain payloads can be accepted. */
const LAX = 'FUZZ-PLAIN';

/** MIME and S/MIME tokens worth inserting into an AS2 request. */
const TOKENS = [
  'Content-Type: ',
  'multipart/signed; boundary=',
  'application/pkcs7-mime; smime-type=enveloped-data',
  'application/pkcs7-mime; smime-type=compressed-data',
  '--',
  '\r\n\r\n',
  '\r\n--',
  'Content-Transfer-Encoding: base64\r\n',
  '\u0030\u0080',
].map((t) => Buffer.from(t, 'latin1'));

export type As2Driver = {
  /** Posts one mutated AS2 request; `positive` is called with it when it got a positive MDN. */
  one(rng: Rng, all: Buffer[], fail: (what: string) => void, positive: () => void): Promise<void>;
  /** After the round: undefined when the listener still answers a well-formed message positively, else why not. */
  probe(): Promise<string | undefined>;
  stop(): Promise<void>;
  /** Answers by kind: positive MDN, negative MDN, refused over HTTP (4xx, 503 busy). */
  readonly answers: { positive: number; negative: number; refused: number };
};

type Seed = { contentType: string; body: Buffer; from: string };

/**
 * The real AS2 receiver (the sample configuration's certificates, TEST ONLY) with mutated requests:
 * well-formed messages built by `pack` (signed, compressed, encrypted, or plain for the lax partner)
 * whose body, Content-Type, AS2 names and MDN options are mutated. Checks: every request is answered
 * (never 5xx but 503 http-busy), and every message answered with a positive MDN was stored under
 * its Message-ID (and is checked again after the store is reopened).
 */
export async function startAs2(store: FuzzStore, payloads: Buffer[]): Promise<As2Driver> {
  const file = (n: string) => `${CERTS}${n}`;
  const config = as2.schema.parse({
    type: 'as2',
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: '1MiB',
    maxBufferedBytes: '8MiB',
    maxConnectionsPerAddress: 50,
    as2Id: US,
    certificate: file('hospital-as2.crt'),
    privateKey: file('hospital-as2.key'),
    partners: [
      { as2Id: STRICT, certificate: file('northwind-as2.crt') },
      { as2Id: LAX, certificate: file('northwind-as2.crt'), requireSigned: false, requireEncrypted: false },
    ],
  });
  const source: Source = as2.create(config, store.context(CHANNEL));
  await source.start();
  const url = `http://127.0.0.1:${source.address!()!.port}/as2`;
  const ours = loadCertificate(readFileSync(file('hospital-as2.crt')));
  const partner = loadIdentity(readFileSync(file('northwind-as2.crt')), readFileSync(file('northwind-as2.key')), 'fuzz partner');
  const seeds: Seed[] = [];
  const layers: Array<{ sign?: DigestName; encrypt?: CipherName; compress?: 'before-signing' | 'after-signing' }> = [
    { sign: 'sha256', encrypt: 'aes-256-cbc' },
    { sign: 'sha1', encrypt: 'des-ede3-cbc', compress: 'before-signing' },
    { sign: 'sha384', encrypt: 'aes-128-cbc', compress: 'after-signing' },
    { sign: 'sha256' },
    { encrypt: 'aes-192-cbc' },
    { compress: 'before-signing' },
    {},
  ];
  payloads.slice(0, 6).forEach((payload, i) => {
    for (const l of layers) {
      const packed = pack({
        payload,
        contentType: i % 2 ? 'application/edi-x12' : 'application/octet-stream',
        fileName: `fuzz-${i}.dat`,
        ...(l.sign ? { sign: { identity: partner, digest: l.sign } } : {}),
        ...(l.encrypt ? { encrypt: { recipient: ours, cipher: l.encrypt } } : {}),
        ...(l.compress ? { compress: l.compress } : {}),
      });
      const contentType = packed.entity.headers.find(([n]) => n.toLowerCase() === 'content-type')![1];
      seeds.push({ contentType, body: packed.entity.body, from: l.sign && l.encrypt ? STRICT : LAX });
    }
  });
  let n = 0;
  const post = async (seed: Seed, rng: Rng | undefined, all: Buffer[]) => {
    n += 1;
    const messageId = `<fuzz-${n}-${Date.now().toString(36)}@fuzz>`;
    let body = seed.body;
    let contentType = seed.contentType;
    let from = seed.from;
    let options = 'signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256';
    if (rng) {
      const r = rng();
      if (r < 0.75)
        body = mutate(body, rng() < 0.5 ? TOKENS[Math.floor(rng() * TOKENS.length)]! : all[Math.floor(rng() * all.length)]!, rng, 1 << 20);
      if (rng() < 0.15) contentType = printable(mutate(Buffer.from(contentType, 'latin1'), TOKENS[0]!, rng, 512));
      if (rng() < 0.1) from = [STRICT, LAX, 'STRANGER', '', '"'][Math.floor(rng() * 5)]!;
      if (rng() < 0.1) options = printable(mutate(Buffer.from(options, 'latin1'), TOKENS[1]!, rng, 512));
    }
    const headers: Record<string, string> = {
      'as2-version': '1.2',
      'as2-to': US,
      'message-id': messageId,
      'content-type': contentType,
      'disposition-notification-to': 'edi@fuzz.example',
      'disposition-notification-options': options,
    };
    if (from) headers['as2-from'] = from;
    const res = await fetch(url, { method: 'POST', body: new Uint8Array(body), headers, signal: AbortSignal.timeout(30_000) });
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    return { status: res.status, text, messageId };
  };
  const answers = { positive: 0, negative: 0, refused: 0 };
  const positiveMdn = (text: string) => /\r\nDisposition: automatic-action\/MDN-sent-automatically; processed\r\n/.test(text);
  return {
    async one(rng, all, fail, positive) {
      const seed = seeds[Math.floor(rng() * seeds.length)]!;
      let answer;
      try {
        answer = await post(seed, rng, all);
      } catch (err) {
        fail(`as2 request not answered (${(err as Error).name}: ${(err as Error).message.slice(0, 80)})`);
        return;
      }
      if (answer.status >= 500 && !answer.text.includes('http-busy')) fail(`as2 request answered ${answer.status}`);
      if (answer.status !== 200) answers.refused++;
      else if (!positiveMdn(answer.text)) answers.negative++;
      else {
        answers.positive++;
        positive();
        if (!store.byControlId.has(`${CHANNEL}|${answer.messageId}`))
          fail(`an AS2 message answered with a positive MDN is not in the store (${answer.messageId})`);
      }
    },
    async probe() {
      const seed = seeds.find((s) => s.from === STRICT)!;
      const answer = await post(seed, undefined, []).catch((err: Error) => ({ status: 0, text: err.message, messageId: '' }));
      return answer.status === 200 && positiveMdn(answer.text)
        ? undefined
        : `the AS2 listener did not answer a well-formed message positively after the round (${answer.status})`;
    },
    stop: () => source.stop(),
    answers,
  };
}

/** Header values must be printable: anything else is replaced by a space (fetch refuses control characters). */
function printable(b: Buffer): string {
  return b.toString('latin1').replace(/[^\x20-\x7e]/g, ' ');
}
