import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MllpClient } from '../../../channels/mllp/client.js';
import type { CanonicalDocument } from '../../../model/index.js';
import { writeInterchange } from '../../../parsers/x12/index.js';
import { transactionSets } from '../../../parsers/x12/sets/index.js';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A config directory for one test: the shipped channels and tables of `config/`, and an engine.yaml
 * with its own Redis prefix (tests never share queues) and admin on a free port.
 */
export function testConfigDir(options: { redisUrl: string; prefix: string; token: string; keep?: string[] }): {
  dir: string;
  dataDir: string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'interlace-e2e-'));
  const config = join(dir, 'config');
  cpSync(new URL('../../../config/', import.meta.url), config, { recursive: true });
  // Channels of other issues may listen on fixed default ports: keep only the OR channel here, and
  // the channels a test names in `keep`.
  for (const f of ['supplier-po-out.yaml', 'supplier-inbound.yaml', 'item-master-sync.yaml', 'payer-remittance.yaml']) {
    if (!options.keep?.includes(f.replace(/\.yaml$/, ''))) rmSync(join(config, 'channels', f), { force: true });
  }
  // The OR channel's FHIR input listens on a fixed default port: a free one here (USAGE_FHIR_PORT still wins).
  const or = join(config, 'channels', 'or-implant-charges.yaml');
  writeFileSync(or, readFileSync(or, 'utf8').replace('${USAGE_FHIR_PORT:-8092}', '${USAGE_FHIR_PORT:-0}'));
  writeFileSync(
    join(config, 'engine.yaml'),
    [
      'engine:',
      '  id: e2e',
      `  dataDir: ${join(dir, 'var')}`,
      '  shutdownTimeout: 10s',
      'redis:',
      `  url: ${options.redisUrl}`,
      `  prefix: ${options.prefix}`,
      '  supervise: never',
      'store:',
      '  sync: full',
      'admin:',
      '  host: 127.0.0.1',
      '  port: ${ADMIN_PORT:-0}',
      `  token: ${options.token}`,
      'x12:',
      '  interchangeId: INTERLACEHOSP',
      '  qualifier: ZZ',
      '  applicationCode: INTERLACE',
      "  defaultAck: '997'",
      'logging:',
      '  level: ${INTERLACE_LOG_LEVEL:-warn}',
      '',
    ].join('\n'),
  );
  return { dir: config, dataDir: join(dir, 'var'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A DFT^P03 with `lines` FT1 lines and the given control id (fictional patient). */
export function dft(controlId: string, lines = 2, account = 'ACCT1001'): Buffer {
  const seg = [
    `MSH|^~\\&|ORSYS|MAINHOSP|ERP|MAINHOSP|20261121143005||DFT^P03|${controlId}|P|2.5.1`,
    'EVN|P03|20261121143000',
    `PID|1||MRN0001^^^MAINHOSP^MR||TEST^PATIENT||19700101|F||||||||||${account}^^^MAINHOSP^AN`,
    'PV1|1|I|OR^OR01^1^MAIN||||||||SUR||||||||V1001^^^MAINHOSP^VN',
  ];
  // unit prices (FT1-12) at the item master's contract prices, which the channel checks
  const items = [
    ['100234', '2450.00'],
    ['100567', '1380.00'],
    ['100890', '640.00'],
    ['100912', '910.00'],
    ['200145', '95.00'],
  ] as const;
  for (let i = 1; i <= lines; i++) {
    const [item, price] = items[(i - 1) % items.length]!;
    seg.push(`FT1|${i}|TX${controlId}-${i}||20261121093000||CG|${item}^ITEM ${i}^IMPLANT|||${i}||${price}|OR`);
  }
  return Buffer.from(seg.join('\r') + '\r', 'latin1');
}

/**
 * The ERP's on-hand API as the shipped OR channel asks it (GET /inventory/on-hand?item=…): answers
 * `onHand` for every item (a number, or per item), so tests of other routes see a well-stocked shelf.
 */
export function onHandRouter(onHand: number | Record<string, number> = 100) {
  return (req: { method: string; path: string }) => {
    const m = /^\/inventory\/on-hand\?item=([^&]+)/.exec(req.path);
    if (req.method !== 'GET' || !m) return undefined;
    const item = decodeURIComponent(m[1]!);
    const n = typeof onHand === 'number' ? onHand : (onHand[item] ?? 100);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item, onHand: n }) };
  };
}

export function sample(name: string): Buffer {
  return readFileSync(new URL(`../../../samples/hl7/${name}`, import.meta.url));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const BIN = fileURLToPath(new URL('../../../bin/interlace.js', import.meta.url));

/** Starts `interlace start` as a child process (a real engine process). */
export function startEngine(configDir: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [BIN, 'start', '--config', configDir], {
    env: { ...process.env, ...env, INTERLACE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Waits until an engine answers on its MLLP port. */
export async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `the MLLP port ${port}`,
    async () => {
      const c = new MllpClient({ host: '127.0.0.1', port, timeout: 2000 });
      try {
        await c.send(dft(`PING-${port}-${Date.now()}`, 1));
        return true;
      } catch {
        return undefined;
      } finally {
        await c.close();
      }
    },
    timeoutMs,
  );
}

/**
 * Sends DFT^P03 messages over `connections` MLLP connections until stopped, and answers the ids
 * positively acknowledged. `pauseMs` paces each connection and `max` caps what each one sends, so a
 * test that kills the engine mid-load has a bounded backlog to drain, whatever the machine's speed.
 */
export function load(
  port: number,
  connections: number,
  prefix: string,
  { pauseMs = 0, max = Infinity }: { pauseMs?: number; max?: number } = {},
): { stop(): void; done: Promise<string[]> } {
  let running = true;
  const acked: string[] = [];
  const worker = async (c: number) => {
    const client = new MllpClient({ host: '127.0.0.1', port, timeout: 5000 });
    for (let i = 0; running && i < max; i++) {
      const id = `${prefix}-${c}-${i}`;
      if (pauseMs > 0 && i > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      try {
        const ack = await client.send(dft(id, 2));
        if (/MSA\|AA\|/.test(ack.toString('latin1'))) acked.push(id);
      } catch {
        break; // the engine went away mid-message: that message was not acknowledged
      }
    }
    await client.close().catch(() => {});
  };
  const done = Promise.all(Array.from({ length: connections }, (_, c) => worker(c))).then(() => acked);
  return { stop: () => (running = false), done };
}

/** One interchange from Acme Medical (ISA06 ACMEMEDICAL) carrying one canonical document, written by the engine's own X12 mappers. */
export function fromAcme(doc: CanonicalDocument, isa13: number): string {
  const mapper = transactionSets.find((m) => m.kind === doc.kind)!;
  return writeInterchange({
    sender: { qualifier: 'ZZ', id: 'ACMEMEDICAL' },
    receiver: { qualifier: 'ZZ', id: 'INTERLACEHOSP' },
    controlNumber: isa13,
    usageIndicator: 'P',
    ackRequested: false,
    version: '00401',
    delimiters: { element: '*', component: '>', segment: '~' },
    groups: [
      {
        functionalId: mapper.functionalId,
        senderCode: 'ACMEMED',
        receiverCode: 'INTERLACE',
        controlNumber: isa13,
        version: '004010',
        sets: [{ id: mapper.id, controlNumber: 1, segments: mapper.fromCanonical(doc, { version: '004010' }) }],
      },
    ],
  });
}
